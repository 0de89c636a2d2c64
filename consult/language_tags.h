/* language_tags.h — the language tags of interpretation (issue 11).
 *
 * Pure: no I/O, no globals; any thread. A practical subset of BCP 47 (RFC 5646),
 * the tags a hospital writes ("es", "ar", "pt-BR", "zh-Hant", "sr-Latn-RS",
 * "de-CH-1996"): a primary language of 2 or 3 letters, then optional
 * subtags in order: one script (4 letters), one region (2 letters or 3
 * digits), variants (5..8 alphanumerics, or 4 starting with a digit), at most
 * CG_LANGUAGE_TAG_MAX bytes in all. Extensions, private use ("x-..."),
 * extlang and grandfathered tags are refused: a channel label must be
 * something every client can name. Tags compare case-insensitively and are
 * stored lower-cased.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_LANGUAGE_TAG_MAX 35 /* bytes; RFC 5646 §4.4.1's minimum buffer */

/* TRUE when @tag (nullable) is a tag of the subset above. */
gboolean cg_language_tag_valid(const char *tag);

/* (transfer full) @tag in ASCII lower case, the form that is stored. */
char *cg_language_tag_normalize(const char *tag);

/* Case-insensitive equality; NULL equals only NULL. */
gboolean cg_language_tag_equal(const char *a, const char *b);

/* Index of @tag in @tags (NULL-terminated, nullable), case-insensitively;
 * -1 when absent. */
gint cg_language_tag_index(const char *const *tags, const char *tag);

G_END_DECLS
