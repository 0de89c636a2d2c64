/* ids.h — random public identifiers for consults and participants.
 *
 * Ids are "PREFIX-" followed by 12 characters of lowercase base32 (60 bits
 * from OpenSSL's RAND_bytes): unguessable, URL-safe, and free of patient data.
 * Secret ids are longer (cg_secret_id_new()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_ID_MAX_LEN 32

/* Returns (transfer full) e.g. "c-5qk2m7x9d3ha" for @prefix "c". */
char *cg_id_new(const char *prefix);
/* Returns (transfer full) "PREFIX-" and 26 base32 characters (130 bits): for
 * ids that act as a secret (a seat's resume id), not only as a name. */
char *cg_secret_id_new(const char *prefix);
/* TRUE if @id has the shape cg_id_new() produces for @prefix. */
gboolean cg_id_is_valid(const char *id, const char *prefix);

G_END_DECLS
