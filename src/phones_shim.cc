// phones_shim.cc: libphonenumber behind a C API (filled by the phones concept).
extern "C" int crm_phones_shim_placeholder(void);
int crm_phones_shim_placeholder(void) { return 0; }
