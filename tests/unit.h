#ifndef ZOHO_OAUTH_TESTS_UNIT_H
#define ZOHO_OAUTH_TESTS_UNIT_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
