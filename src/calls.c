/*
 * calls.c
 */
#include "postgres.h"

#include "crm.h"
