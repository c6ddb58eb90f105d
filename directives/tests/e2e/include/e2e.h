/* Declarations shared by the preamble; found through -I${SRCDIR}/include. */
double e2e_sqrt_scaled(double x);
const char *e2e_zlib_version(void);
unsigned long e2e_crc32(const unsigned char *p, unsigned len);
