#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import as a
// macro; this constant carries it.
static const sqlite3_destructor_type ridestream_sqlite_transient = SQLITE_TRANSIENT;
