/*
 * phones.c
 */
#include "postgres.h"

#include "crm.h"
