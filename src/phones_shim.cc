// phones_shim.cc
//	  libphonenumber behind a C API.  The only C++ in crm.
//
// Map: crm_phone_shim_e164 (normalisation), crm_phone_shim_region_known,
// crm_phone_shim_country and crm_phone_shim_area (what a number in E.164
// says about where its owner is: the country, and the offline geocoder's
// description of the area, from libgeocoding).
//
// Every entry point catches every exception and returns a status, so no C++
// exception ever unwinds through PostgreSQL's frames (which would skip its
// error handling and memory contexts).  Nothing here allocates with palloc or
// calls into PostgreSQL: the caller passes its buffers in.

#include "phones_shim.h"

#include <cstring>
#include <string>
#include <unordered_map>

#include <unicode/locid.h>

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
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

// ---- where a number in E.164 is from ----

// A number read from E.164 without Parse (whose regular expressions cost
// most of the time): the country calling code is the shortest prefix
// libphonenumber knows (calling codes are prefix-free), the rest the national
// number; writing it back must give the same string.  The last one read is
// kept, as a view asks for the country, the area and the time zone of one
// number in a row.
struct ReadNumber
{
	std::string e164;
	PhoneNumber number;
	bool		valid;
	std::string region;
};

static bool
read_e164(const char *s, size_t len, PhoneNumber *number)
{
	PhoneNumberUtil *util = phone_util();
	size_t		cc_len = 0;
	int			cc = 0;
	std::string region;
	std::string national;
	std::string back;

	// "+", a country code of 1 to 3 digits and up to 17 national digits.
	if (len < 3 || len > 21 || s[0] != '+' || s[1] == '0')
		return false;
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	for (size_t k = 1; k <= 3 && k + 1 < len; k++)
	{
		cc = cc * 10 + (s[k] - '0');
		util->GetRegionCodeForCountryCode(cc, &region);
		if (region != "ZZ")
		{
			cc_len = k;
			break;
		}
	}
	if (cc_len == 0)
		return false;
	national.assign(s + 1 + cc_len, len - 1 - cc_len);
	if (national.size() > 17)
		return false;
	number->set_country_code(cc);
	if (national.size() > 1 && national[0] == '0')
	{
		int			zeros = 1;

		number->set_italian_leading_zero(true);
		while (zeros < static_cast<int>(national.size()) - 1 && national[zeros] == '0')
			zeros++;
		if (zeros != 1)
			number->set_number_of_leading_zeros(zeros);
	}
	number->set_national_number(std::stoull(national));
	util->Format(*number, PhoneNumberUtil::E164, &back);
	return back.size() == len && back.compare(0, len, s, len) == 0;
}

static const ReadNumber *
read_number(const char *e164, size_t len)
{
	static ReadNumber last;
	static bool have_last = false;
	PhoneNumberUtil *util = phone_util();

	if (have_last && last.e164.size() == len && last.e164.compare(0, len, e164, len) == 0)
		return &last;
	have_last = false;
	last.e164.assign(e164, len);
	last.number.Clear();
	last.region.clear();
	last.valid = read_e164(e164, len, &last.number) && util->IsValidNumber(last.number);
	if (last.valid)
		util->GetRegionCodeForNumber(last.number, &last.region);
	have_last = true;
	return &last;
}

// What was answered before, per backend: a view asks the same numbers on every
// query.  Bounded: emptied when it reaches CACHE_MAX entries.  An empty value
// is "no answer" (INVALID); a failure (exception) is not kept.
#define CACHE_MAX 16384
typedef std::unordered_map<std::string, std::string> AnswerCache;

static const std::string *
cached(AnswerCache &cache, const std::string &key)
{
	AnswerCache::const_iterator it = cache.find(key);

	return it == cache.end() ? nullptr : &it->second;
}

static const std::string &
remember(AnswerCache &cache, const std::string &key, const std::string &value)
{
	if (cache.size() >= CACHE_MAX)
		cache.clear();
	return cache[key] = value;
}

static bool
copy_out(const std::string &value, char *out, size_t out_size)
{
	if (value.size() + 1 > out_size)
		return false;
	std::memcpy(out, value.c_str(), value.size() + 1);
	return true;
}

// The country of a number read from E.164: two capital letters, or empty
// ("001", the numbers of no country, and "ZZ" are not countries).
static std::string
country_of(const char *e164, size_t len)
{
	const ReadNumber *n = read_number(e164, len);

	if (!n->valid || n->region.size() != 2 || n->region == "ZZ" ||
		n->region[0] < 'A' || n->region[0] > 'Z' || n->region[1] < 'A' || n->region[1] > 'Z')
		return std::string();
	return n->region;
}

extern "C" int
crm_phone_shim_country(const char *e164, size_t e164_len, char *out, size_t out_size)
{
	try
	{
		static AnswerCache countries;
		std::string key;
		const std::string *country;

		if (out == nullptr || out_size == 0)
			return CRM_PHONE_SHIM_ERROR;
		out[0] = '\0';
		if (e164 == nullptr)
			return CRM_PHONE_SHIM_INVALID;
		key.assign(e164, e164_len);
		country = cached(countries, key);
		if (country == nullptr)
			country = &remember(countries, key, country_of(e164, e164_len));
		if (country->empty())
			return CRM_PHONE_SHIM_INVALID;
		return copy_out(*country, out, out_size) ? CRM_PHONE_SHIM_OK : CRM_PHONE_SHIM_ERROR;
	}
	catch (...)
	{
		if (out != nullptr && out_size > 0)
			out[0] = '\0';
		return CRM_PHONE_SHIM_ERROR;
	}
}

static bool
language_ok(const char *language)
{
	size_t		len = std::strlen(language);

	if (len < 2 || len > CRM_PHONE_SHIM_MAX_LANGUAGE)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = language[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (i >= 2 && (c == '_' || c == '-' || (c >= '0' && c <= '9')))))
			return false;
	}
	return true;
}

// The geocoder's description of a number read from E.164, or empty.
static std::string
area_of(const char *e164, size_t len, const char *language)
{
	// Built on first use: the geocoder's index of its data files.  The data
	// themselves are compiled into libgeocoding and read per country calling
	// code and language as asked.
	static PhoneNumberOfflineGeocoder *geocoder = nullptr;
	const ReadNumber *n = read_number(e164, len);

	if (!n->valid)
		return std::string();
	if (geocoder == nullptr)
		geocoder = new PhoneNumberOfflineGeocoder();
	return geocoder->GetDescriptionForNumber(n->number, icu::Locale(language));
}

extern "C" int
crm_phone_shim_area(const char *e164, size_t e164_len, const char *language,
					char *out, size_t out_size)
{
	try
	{
		static AnswerCache areas;
		std::string key;
		const std::string *area;

		if (out == nullptr || out_size == 0)
			return CRM_PHONE_SHIM_ERROR;
		out[0] = '\0';
		if (language == nullptr || !language_ok(language))
			return CRM_PHONE_SHIM_ERROR;
		if (e164 == nullptr)
			return CRM_PHONE_SHIM_INVALID;
		key.assign(language);
		key.push_back(' ');
		key.append(e164, e164_len);
		area = cached(areas, key);
		if (area == nullptr)
			area = &remember(areas, key, area_of(e164, e164_len, language));
		if (area->empty())
			return CRM_PHONE_SHIM_INVALID;
		return copy_out(*area, out, out_size) ? CRM_PHONE_SHIM_OK : CRM_PHONE_SHIM_ERROR;
	}
	catch (...)
	{
		if (out != nullptr && out_size > 0)
			out[0] = '\0';
		return CRM_PHONE_SHIM_ERROR;
	}
}
