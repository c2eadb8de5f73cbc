/*
 * phones_shim.h
 *	  C API of phones_shim.cc, the libphonenumber wrapper.  Plain C, no
 *	  PostgreSQL headers, so the fuzz harness links it on its own.
 */
#ifndef CRM_PHONES_SHIM_H
#define CRM_PHONES_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define CRM_PHONE_SHIM_OK		0	/* out holds the E.164 form */
#define CRM_PHONE_SHIM_INVALID	1	/* not a valid number in that region */
#define CRM_PHONE_SHIM_ERROR	2	/* the library failed (exception, buffer) */

/* Longer input is refused without parsing (libphonenumber's own limit is 250). */
#define CRM_PHONE_SHIM_MAX_INPUT 250
/* "+", a country code and up to 17 national digits (libphonenumber), and NUL. */
#define CRM_PHONE_SHIM_OUT_SIZE 32

/*
 * E.164 of raw (raw_len bytes of UTF-8, need not be terminated) as dialled in
 * region (ISO 3166 alpha-2, or "ZZ" for international format only).
 */
extern int	crm_phone_shim_e164(const char *raw, size_t raw_len, const char *region,
								char *out, size_t out_size);

/* 1 when libphonenumber knows the region code. */
extern int	crm_phone_shim_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif							/* CRM_PHONES_SHIM_H */
