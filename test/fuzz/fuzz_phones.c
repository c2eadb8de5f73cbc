/*
 * fuzz_phones.c
 *	  libFuzzer harness over the C entry points of src/phones_shim.cc.
 *
 * The first two bytes pick the region (any two bytes, so unknown and
 * malformed codes are exercised too, and every few inputs a real one); the
 * rest is the raw phone, passed with its length and without a terminator.
 * Checks: no crash, a status that is one of the three, and on success an
 * E.164 string ("+" and digits: libphonenumber allows national numbers of up
 * to 17 digits, so up to 20 with the country code).  The country and the
 * geocoder's area are asked of the raw input (mostly not E.164) and of the
 * E.164 form: a country is two capital letters, an area a terminated string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phones_shim.h"

static const char *const regions[] = {"RU", "UA", "US", "GB", "DE", "ZZ", "KZ", "BY"};

static void
check_place(const char *e164, size_t len)
{
	char		country[CRM_PHONE_SHIM_REGION_SIZE];
	char		area[CRM_PHONE_SHIM_AREA_SIZE];
	int			rc;

	rc = crm_phone_shim_country(e164, len, country, sizeof(country));
	if (rc == CRM_PHONE_SHIM_OK &&
		(strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
		 country[1] < 'A' || country[1] > 'Z'))
		abort();
	if (rc != CRM_PHONE_SHIM_OK && country[0] != '\0')
		abort();
	rc = crm_phone_shim_area(e164, len, (len & 1) ? "ru" : "en", area, sizeof(area));
	if (rc == CRM_PHONE_SHIM_OK && (area[0] == '\0' || strlen(area) >= sizeof(area)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		region[3];
	char		out[CRM_PHONE_SHIM_OUT_SIZE];
	char	   *raw;
	size_t		raw_len;
	int			rc;

	if (size < 2)
		return 0;
	if (data[0] < 0x80)
	{
		memcpy(region, regions[data[0] % (sizeof(regions) / sizeof(regions[0]))], 3);
	}
	else
	{
		region[0] = (char) data[0];
		region[1] = (char) data[1];
		region[2] = '\0';
	}
	(void) crm_phone_shim_region_known(region);

	/* A private copy, so reading past raw_len is caught by AddressSanitizer. */
	raw_len = size - 2;
	raw = malloc(raw_len ? raw_len : 1);
	memcpy(raw, data + 2, raw_len);
	rc = crm_phone_shim_e164(raw, raw_len, region, out, sizeof(out));
	check_place(raw, raw_len);
	free(raw);

	if (rc != CRM_PHONE_SHIM_OK && rc != CRM_PHONE_SHIM_INVALID && rc != CRM_PHONE_SHIM_ERROR)
		abort();
	if (rc == CRM_PHONE_SHIM_OK)
	{
		size_t		n = strlen(out);

		if (out[0] != '+' || n < 3 || n > 21 || strspn(out + 1, "0123456789") != n - 1)
			abort();
		check_place(out, n);
	}
	return 0;
}
