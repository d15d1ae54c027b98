#ifndef RIDESTREAM_CRC32C_H
#define RIDESTREAM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over `length` bytes.
///
/// `crc` is a finished checksum of the preceding bytes (0 for none); the result is the
/// finished checksum of everything so far, so calls chain. Uses the SSE4.2 crc32 instruction
/// when the CPU has it, slicing-by-8 tables otherwise.
uint32_t ridestream_crc32c(uint32_t crc, const void *bytes, size_t length);

/// The table-driven path alone, for tests that compare it with the hardware path.
uint32_t ridestream_crc32c_software(uint32_t crc, const void *bytes, size_t length);

/// 1 when `ridestream_crc32c` uses the CPU instruction, 0 when it uses the tables.
int ridestream_crc32c_hardware_available(void);

#endif
