// phones_shim.cc
//	  libphonenumber behind a C API.  The only C++ in crm.
//
// Every entry point catches every exception and returns a status, so no C++
// exception ever unwinds through PostgreSQL's frames (which would skip its
// error handling and memory contexts).  Nothing here allocates with palloc or
// calls into PostgreSQL: the caller passes its buffers in.

#include "phones_shim.h"

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static PhoneNumberUtil *
phone_util()
{
	static PhoneNumberUtil *util = nullptr;

	if (util == nullptr)
	{
		util = PhoneNumberUtil::GetInstance();
		// The library logs parse failures to stderr by default; those are
		// ordinary results here.
		util->SetLogger(new NullLogger());
	}
	return util;
}

// Strict UTF-8 check: libphonenumber expects valid UTF-8 and is not the place
// to find out what it does with anything else.
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		size_t		n;
		unsigned int cp;

		if (c < 0x80)
		{
			if (c == 0)
				return false;
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 1, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 2, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

// Plain ASCII without a digit cannot be a number: answered without the
// library's regular expressions, which cost as much as parsing a real number.
// Anything non-ASCII may hold digits of another script, so it goes through.
static bool
may_hold_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((s[i] >= '0' && s[i] <= '9') || (static_cast<unsigned char>(s[i]) & 0x80))
			return true;
	return false;
}

extern "C" int
crm_phone_shim_e164(const char *raw, size_t raw_len, const char *region,
					char *out, size_t out_size)
{
	try
	{
		PhoneNumberUtil *util = phone_util();
		PhoneNumber number;
		std::string e164;

		if (out == nullptr || out_size == 0)
			return CRM_PHONE_SHIM_ERROR;
		out[0] = '\0';
		if (raw == nullptr || region == nullptr)
			return CRM_PHONE_SHIM_INVALID;
		if (raw_len > CRM_PHONE_SHIM_MAX_INPUT)
			return CRM_PHONE_SHIM_INVALID;
		if (!valid_utf8(reinterpret_cast<const unsigned char *>(raw), raw_len))
			return CRM_PHONE_SHIM_INVALID;
		if (!may_hold_digits(raw, raw_len))
			return CRM_PHONE_SHIM_INVALID;

		if (util->Parse(std::string(raw, raw_len), std::string(region), &number) !=
			PhoneNumberUtil::NO_PARSING_ERROR)
			return CRM_PHONE_SHIM_INVALID;
		if (!util->IsValidNumber(number))
			return CRM_PHONE_SHIM_INVALID;
		util->Format(number, PhoneNumberUtil::E164, &e164);
		if (e164.size() + 1 > out_size)
			return CRM_PHONE_SHIM_ERROR;
		std::memcpy(out, e164.c_str(), e164.size() + 1);
		return CRM_PHONE_SHIM_OK;
	}
	catch (...)
	{
		if (out != nullptr && out_size > 0)
			out[0] = '\0';
		return CRM_PHONE_SHIM_ERROR;
	}
}

extern "C" int
crm_phone_shim_region_known(const char *region)
{
	try
	{
		if (region == nullptr)
			return 0;
		return phone_util()->GetCountryCodeForRegion(std::string(region)) != 0;
	}
	catch (...)
	{
		return 0;
	}
}
