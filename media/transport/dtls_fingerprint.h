/* dtls_fingerprint.h — does a DTLS certificate match an SDP a=fingerprint (pure).
 *
 * media/transport/dtls_transport.c checks with this once a DTLS transport is connected
 * (pure: OpenSSL only, no state).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns (transfer full) the fingerprint of the first certificate in @pem as
 * upper-case hex with colons, hashed with @hash_func ("sha-1", "sha-256",
 * "sha-384", "sha-512"), or NULL if @pem holds no certificate or the hash
 * function is unknown. */
char *cg_dtls_fingerprint_of_pem(const char *hash_func, const char *pem);

/* TRUE if the certificate in @pem hashes to @expected (case-insensitive). */
gboolean cg_dtls_fingerprint_matches(const char *hash_func, const char *expected, const char *pem);

G_END_DECLS
