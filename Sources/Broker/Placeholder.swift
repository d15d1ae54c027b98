public enum BrokerModule {}
