/* mailbox.h - the messages of a file, an mbox or a Maildir, one by one.
 *
 * An input path is:
 *   - a directory: a Maildir (its cur/ and new/; tmp/ holds mail still
 *     being delivered and is skipped) or any tree of message files, read
 *     in name order, recursively; dot files are skipped;
 *   - a file starting with "From ": an mbox.  A message starts at a
 *     "From " line at the start of the file or after an empty line.
 *     Quoted body lines are unquoted the mboxrd way (">From " ->
 *     "From ", ">>From " -> ">From "), so that the bytes are those the
 *     signer hashed; the empty line an mbox writer puts before the next
 *     separator is not part of the message.  The mbox is read as a
 *     stream: memory is bounded by the largest message;
 *   - any other file, or "-" (standard input): one message.
 * Each message is at most MAILBOX_MAX_MESSAGE bytes; a larger one is
 * reported to the callback as too big, not truncated.
 */
#ifndef INKAN_MAILBOX_H
#define INKAN_MAILBOX_H

#include <stddef.h>

#define MAILBOX_MAX_MESSAGE	((size_t)1 << 30)

struct mailbox_msg {
	const char *path;	/* the file the message came from */
	size_t index;		/* 1-based position in an mbox; 0 for a single file */
	const char *data;	/* NUL-terminated; NULL when err is set */
	size_t len;
	const char *err;	/* why it could not be read, or NULL */
};

/* Called per message; a non-zero return stops the walk and is returned. */
typedef int (*mailbox_fn)(void *arg, const struct mailbox_msg *m);

/* path itself could not be opened or read. */
#define MAILBOX_EOPEN	(-100)

/* Walk path; returns 0, the callback's value, INKAN_ENOMEM (-1), or
 * MAILBOX_EOPEN when path itself cannot be opened (*why set to a static
 * or strerror text). */
int mailbox_each(const char *path, mailbox_fn fn, void *arg, const char **why);

#endif
