/*
 * fuzz_phones.c
 *	  libFuzzer harness over the C entry points of src/phones_shim.cc.
 *
 * The first two bytes pick the region (any two bytes, so unknown and
 * malformed codes are exercised too, and every few inputs a real one); the
 * rest is the raw phone, passed with its length and without a terminator.
 * Checks: no crash, a status that is one of the three, and on success an
 * E.164 string ("+" and digits: libphonenumber allows national numbers of up
 * to 17 digits, so up to 20 with the country code).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phones_shim.h"

static const char *const regions[] = {"RU", "UA", "US", "GB", "DE", "ZZ", "KZ", "BY"};

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
	free(raw);

	if (rc != CRM_PHONE_SHIM_OK && rc != CRM_PHONE_SHIM_INVALID && rc != CRM_PHONE_SHIM_ERROR)
		abort();
	if (rc == CRM_PHONE_SHIM_OK)
	{
		size_t		n = strlen(out);

		if (out[0] != '+' || n < 3 || n > 21 || strspn(out + 1, "0123456789") != n - 1)
			abort();
	}
	return 0;
}
