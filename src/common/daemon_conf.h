/* daemon_conf.h - the configuration reader the daemons share.
 *
 * inkan-milter.conf(5) and inkan-stsd.conf(5) are read the same way:
 * one setting per line, "Name value", names case-insensitive, '#'
 * starts a comment.  Each daemon has a table of settings (name, kind,
 * where in its struct conf the value goes, bounds); the generic code
 * here converts a value by its kind and names FILE:LINE and the
 * problem for anything else.  What only one daemon has (its special
 * settings, its checks after the file, inkan-stsd's "-o Name=value")
 * stays in its own conf.c.
 */
#ifndef INKAN_DAEMON_CONF_H
#define INKAN_DAEMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum dconf_kind {
	DCONF_STR,	/* char * */
	DCONF_BOOL,	/* bool: yes/no/true/false/on/off/1/0 */
	DCONF_NOTBOOL,	/* bool, stored negated (DNSSEC yes -> no_dnssec false) */
	DCONF_UINT,	/* unsigned, min..max */
	DCONF_SIZE,	/* size_t, min..max */
	DCONF_LIST,	/* char **, words (whitespace or commas) appended */
	DCONF_LOGTO,	/* bool, true for "stderr", false for "syslog" */
	DCONF_FACILITY,	/* int, a syslog facility by name */
	DCONF_UMASK,	/* int, an octal mode 0..0777 */
	DCONF_FIELD,	/* the daemon's hook converts the value into the field */
	DCONF_SPECIAL,	/* the daemon's hook handles it by name */
};

struct dconf_setting {
	const char *name;
	enum dconf_kind kind;
	size_t off;			/* offsetof(struct conf, field) */
	unsigned long min, max;		/* DCONF_UINT, DCONF_SIZE */
};

struct dconf_rd;

struct dconf_table {
	const struct dconf_setting *rows;
	size_t nrows;
	size_t max_list;		/* values one list setting may hold */
	bool quote;			/* messages end ", not 'VALUE'" */
	/* DCONF_FIELD and DCONF_SPECIAL rows. */
	void (*hook)(struct dconf_rd *r, const struct dconf_setting *s, char *v);
};

/* The state of one reading: where the error goes, once. */
struct dconf_rd {
	const struct dconf_table *t;
	void *c;			/* the daemon's struct conf */
	const char *file;
	unsigned line;			/* 0: the message names the file only */
	char *err;
	size_t errlen;
	bool failed;
};

/* r->c as calloc returned it: false with "out of memory" in r->err if
 * NULL, else true with the defaults the kinds have set (syslog facility
 * mail, no umask: -1). */
bool dconf_start(struct dconf_rd *r);
/* The first failure wins: "FILE:LINE: message" (or "FILE: message"). */
void dconf_fail(struct dconf_rd *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool dconf_parse_bool(const char *v, bool *out);
void dconf_set_str(struct dconf_rd *r, char **dst, const char *v);
/* Append one word to a NULL-terminated list, up to the table's max_list. */
void dconf_list_add(struct dconf_rd *r, char ***list, const char *w);
void dconf_list_free(char **l);
/* Free the DCONF_STR and DCONF_LIST fields of the table's rows in c. */
void dconf_free_fields(const struct dconf_table *t, void *c);
/* Find the row of name and convert v (which may be cut into words). */
void dconf_apply(struct dconf_rd *r, const char *name, char *v);
/* A "Name value" line, trimmed and not empty: dconf_apply. */
void dconf_line(struct dconf_rd *r, char *p);
/* Read f line by line into buf (size: the longest line + 2), counting
 * r->line; drop comments and blank lines and trim the rest for fn.
 * The caller opens and closes f, and checks ferror if it wants to. */
void dconf_read_lines(struct dconf_rd *r, FILE *f, char *buf, size_t size,
    void (*fn)(struct dconf_rd *r, char *line));

#endif
