/*
 * client_place.h
 *	  Where a client is and what time it is there (client_place.c): the country
 *	  and area of a phone, the time zone of a country that has only one.
 */
#ifndef CRM_CLIENT_PLACE_H
#define CRM_CLIENT_PLACE_H

/* A country with a single time zone (country_zones.c, generated). */
typedef struct CrmCountryZone
{
	const char *country;		/* ISO 3166 alpha-2, "BY" */
	const char *zone;			/* its zone in the tz database, "Europe/Minsk" */
} CrmCountryZone;

/* The table, sorted by country; *count gets its length. */
extern const CrmCountryZone *crm_country_zones(int *count);

#endif							/* CRM_CLIENT_PLACE_H */
