/* srtp-testing.h — srtp.c's internals, exposed for tests only (not for daemon/).
 *
 * Each hook runs the same code as the packet path, so the RFC test vectors
 * check what packets use, not a copy of it.
 */
#pragma once

#include "srtp.h"

G_BEGIN_DECLS

/* AES-CM keystream (RFC 3711 4.1.1) of session key @key (16 bytes) and
 * session salt @salt (14 bytes) for @ssrc and 48-bit @index: @len bytes into
 * @out (caller's buffer). FALSE only if OpenSSL fails. */
gboolean cg_srtp_testing_keystream(const guint8 *key, const guint8 *salt, guint32 ssrc,
                                   guint64 index, guint8 *out, gsize len);

/* The key derivation PRF (RFC 3711 4.3.1, rate 0): @len bytes for @label
 * from master key @master_key (16 bytes) and @master_salt (@salt_len, 14 or
 * 12 bytes) into @out. FALSE only if OpenSSL fails. */
gboolean cg_srtp_testing_derive(const guint8 *master_key, const guint8 *master_salt, gsize salt_len,
                                guint8 label, guint8 *out, gsize len);

/* A context keyed with session keys directly, as RFC 7714's vectors give them:
 * @key (16 bytes) and @salt (the profile's salt length) for both SRTP and
 * SRTCP, @auth_key (20 bytes) for both too, ignored (may be NULL) for GCM.
 * Returns (transfer full) the context, or NULL if the profile is unknown. */
CgSrtp *cg_srtp_testing_new_with_session_keys(CgSrtpProfile profile, CgSrtpDirection direction,
                                              const guint8 *key, const guint8 *salt,
                                              const guint8 *auth_key);

/* Makes the stream of @ssrc look as if it had already handled SRTP index
 * @rtp_index (48 bits) and, OUTBOUND, will send SRTCP index @rtcp_index next,
 * or, INBOUND, has received @rtcp_index. FALSE if the table is full. */
gboolean cg_srtp_testing_seed(CgSrtp *s, guint32 ssrc, guint64 rtp_index, guint32 rtcp_index);

/* Number of streams (SSRCs) in the table. */
guint cg_srtp_testing_stream_count(CgSrtp *s);

/* The rollover counter of @ssrc's highest SRTP index, or FALSE if the stream
 * has handled no SRTP packet. */
gboolean cg_srtp_testing_get_roc(CgSrtp *s, guint32 ssrc, guint32 *roc);

G_END_DECLS
