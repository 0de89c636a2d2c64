/* first_start.h — files consultd creates on first start.
 *
 * - a self-signed localhost TLS pair (EC P-256 key, X.509 v3 certificate,
 *   SAN DNS:localhost, IP:127.0.0.1, IP:::1, one year), for a machine that has
 *   no real certificate yet;
 * - random secrets (tenant API keys, token-signing secrets): base64url without
 *   padding, one line;
 * and reading such a secret back.
 *
 * Existing files are never overwritten: an operator's own certificate or key
 * always wins. New files are written to a temporary name created with
 * O_EXCL and renamed into place, so a crash never leaves a half-written key;
 * keys and secrets are mode 0600, certificates 0644, a new key directory 0700.
 * Randomness comes from OpenSSL's RAND_bytes. Any thread; no main loop.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_FIRST_START_ERROR (cg_first_start_error_quark())
GQuark cg_first_start_error_quark(void);

typedef enum {
    CG_FIRST_START_ERROR_IO,         /* a file or directory cannot be read/created */
    CG_FIRST_START_ERROR_INCOMPLETE, /* only one of certificate and key exists */
    CG_FIRST_START_ERROR_CRYPTO,     /* OpenSSL failed (key generation, signing) */
    CG_FIRST_START_ERROR_INVALID,    /* a secret file is empty, too large or not a file */
} CgFirstStartError;

/* Largest secret cg_first_start_read_secret() accepts, after trimming. */
#define CG_FIRST_START_SECRET_MAX 4096

/* If neither @cert_path nor @key_path exists, generates the self-signed
 * localhost pair there (creating parent directories). If both exist, does
 * nothing. If only one exists, fails with CG_FIRST_START_ERROR_INCOMPLETE
 * naming the missing one. */
gboolean cg_first_start_certificate(const char *cert_path, const char *key_path, GError **error);

/* If @path does not exist, writes base64url(@random_bytes random bytes) plus
 * "\n" there, mode 0600 (1 <= @random_bytes <= 1024). If it exists, leaves it
 * alone, warning when group or others may access it. */
gboolean cg_first_start_secret_file(const char *path, gsize random_bytes, GError **error);

/* Reads the secret in @path without trailing whitespace into @out (transfer
 * full; the bytes are wiped when the GBytes is freed). Fails if the file is
 * empty after trimming or longer than CG_FIRST_START_SECRET_MAX; warns when
 * group or others may access it. */
gboolean cg_first_start_read_secret(const char *path, GBytes **out, GError **error);

G_END_DECLS
