/* turn_credentials.h — the ICE servers handed to an endpoint in "joined".
 *
 * TURN uses short-lived credentials in the TURN REST convention that coturn's
 * use-auth-secret checks: username "EXPIRY:OPAQUE" (EXPIRY in seconds since
 * the epoch, OPAQUE random per join: never a name or participant id) and
 * password base64(HMAC-SHA1(shared secret, username)). The shared secret
 * itself never leaves consultd. Pure: time and randomness are passed in.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* (transfer full) base64(HMAC-SHA1(@secret, @username)). */
char *cg_turn_password(const guint8 *secret, gsize secret_len, const char *username);

/* (transfer full) the "ice_servers" array of "joined": one entry with the
 * STUN URLs (if any) and one with the TURN URLs and credentials valid until
 * @expiry (if TURN URLs and a secret are configured). Either list may be
 * NULL or empty. */
json_t *cg_ice_servers_json(const char *const *stun_urls, const char *const *turn_urls,
                            GBytes *turn_secret, gint64 expiry, const char *opaque);

G_END_DECLS
