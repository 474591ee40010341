/* error.c - names of inkan error codes. */
#include "inkan/error.h"

const char *
inkan_strerror(int err)
{
	switch (err) {
	case INKAN_OK:		return "success";
	case INKAN_ENOMEM:	return "out of memory";
	case INKAN_EINVAL:	return "invalid argument";
	case INKAN_ETOOBIG:	return "input too large";
	case INKAN_EMALFORMED:	return "malformed input";
	case INKAN_ELIMIT:	return "processing limit reached";
	case INKAN_EAGAIN:	return "answer not available yet";
	case INKAN_ENOTFOUND:	return "not found";
	case INKAN_EIO:		return "input/output error";
	case INKAN_EDNS:	return "resolver failure";
	case INKAN_EUNSUPPORTED: return "not supported";
	case INKAN_EDUP:	return "duplicate";
	}
	return "unknown error";
}
