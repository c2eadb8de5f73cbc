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

/* An ISO 3166 alpha-2 code and NUL (libphonenumber's "001" fits too). */
#define CRM_PHONE_SHIM_REGION_SIZE 4
/* The geocoder's longest descriptions are well under this; longer is an error. */
#define CRM_PHONE_SHIM_AREA_SIZE 256
/* A language code: ISO 639 letters, optionally "_" or "-" and a script or region. */
#define CRM_PHONE_SHIM_MAX_LANGUAGE 16

/*
 * The region (ISO 3166 alpha-2) a valid number in E.164 (e164_len bytes, "+"
 * and digits, need not be terminated) belongs to.  INVALID for anything else,
 * and for the numbers of no country (libphonenumber's region "001": +800 ...).
 */
extern int	crm_phone_shim_country(const char *e164, size_t e164_len,
								   char *out, size_t out_size);

/*
 * The offline geocoder's description of a valid number in E.164, in language
 * (ISO 639, "en", "ru", "uk"; the geocoder falls back to English where it has
 * no names in that language): the area for a fixed line ("Moscow",
 * "St Petersburg"), the country for a mobile ("Russia").  INVALID when the
 * number is not valid or the geocoder has no description.
 */
extern int	crm_phone_shim_area(const char *e164, size_t e164_len, const char *language,
								char *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif							/* CRM_PHONES_SHIM_H */
