/* error.h - inkan error codes.
 *
 * Library functions return 0 or a negative INKAN_E* value.  Verdicts such
 * as SPF "temperror" are results, never errors.  inkan_strerror() names
 * every code.
 */
#ifndef INKAN_ERROR_H
#define INKAN_ERROR_H

enum inkan_err {
	INKAN_OK = 0,
	INKAN_ENOMEM = -1,	/* out of memory */
	INKAN_EINVAL = -2,	/* bad argument from the caller */
	INKAN_ETOOBIG = -3,	/* input or buffer larger than its limit */
	INKAN_EMALFORMED = -4,	/* malformed input (syntax) */
	INKAN_ELIMIT = -5,	/* a processing limit was reached */
	INKAN_EAGAIN = -6,	/* answer not cached yet: query noted, re-run later */
	INKAN_ENOTFOUND = -7,	/* no such item */
	INKAN_EIO = -8,		/* I/O error (file, socket) */
	INKAN_EDNS = -9,	/* resolver could not be set up or failed internally */
	INKAN_EUNSUPPORTED = -10,	/* feature or type not supported */
	INKAN_EDUP = -11,	/* duplicate item */
};

/* A static, human-readable name for err (any int; unknown values give
 * "unknown error"). */
const char *inkan_strerror(int err);

#endif
