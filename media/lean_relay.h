/* lean_relay.h — the lean relay path behind media.h (media/ only).
 *
 * The same contract as media.h: every connection is a
 * CgLeanConn (libnice + DTLS on OpenSSL + SRTP on OpenSSL, lean_conn.h), all
 * on the relay's main context, and this file's code routes the decrypted
 * packets. Per forwarded packet: one copy, one SRTP protect, one send; no
 * allocation, no thread hop, no lock.
 *
 * Routing: a publisher's RTP is forwarded unchanged (payload types, SSRCs,
 * sequence numbers: the subscribe offer declares the publisher's own) to each
 * of its subscribe connections that is up, except audio while the publisher
 * is muted and video to an endpoint in audio-only mode. RTX is forwarded to
 * subscribers that accepted it. The publisher's sender reports are forwarded
 * (lip sync); consultd sends the publisher receiver reports of its own.
 * Feedback from subscribers: NACKs go to the publisher as they are; PLI and
 * FIR become one PLI per CG_MEDIA_KEYFRAME_RETRY_MS towards the publisher,
 * repeated until a VP8 key frame arrives; REMB becomes the lowest estimate of
 * the publisher's subscribers.
 *
 * Liveness (RFC 7675's purpose): an endpoint with a connection up whose
 * connections have authenticated no SRTP/SRTCP for CG_MEDIA_CONSENT_TIMEOUT_S
 * on the relay's clock is stopped and failed.
 */
#pragma once

#include "address_policy.h"
#include "media.h"

typedef struct _CgLeanRelay CgLeanRelay;

/* @policy is borrowed and must outlive the relay. */
CgLeanRelay *cg_lean_relay_new(const CgMediaConfig *config, const CgMediaEvents *events,
                               gpointer user, const CgAddressPolicy *policy, GError **error);
void cg_lean_relay_free(CgLeanRelay *relay);

gboolean cg_lean_relay_endpoint_add(CgLeanRelay *relay, CgEndpointId ep, const char *log_tag,
                                    GError **error);
void cg_lean_relay_endpoint_remove(CgLeanRelay *relay, CgEndpointId ep);
gboolean cg_lean_relay_remote_description(CgLeanRelay *relay, CgEndpointId ep, const char *pc,
                                          const char *type, const char *sdp, GError **error);
gboolean cg_lean_relay_remote_candidate(CgLeanRelay *relay, CgEndpointId ep, const char *pc,
                                        guint mline_index, const char *candidate, GError **error);
gboolean cg_lean_relay_set_audio_muted(CgLeanRelay *relay, CgEndpointId ep, gboolean muted,
                                       GError **error);
gboolean cg_lean_relay_set_receive_video(CgLeanRelay *relay, CgEndpointId ep, gboolean receive,
                                         GError **error);
gboolean cg_lean_relay_set_screen_share_allowed(CgLeanRelay *relay, CgEndpointId ep,
                                               gboolean allowed, GError **error);
gboolean cg_lean_relay_set_video_bitrate_cap(CgLeanRelay *relay, CgEndpointId ep, guint kbps,
                                             GError **error);
gboolean cg_lean_relay_route(CgLeanRelay *relay, CgEndpointId publisher, CgEndpointId subscriber,
                             GError **error);

/* media-testing.h's hooks. */
guint cg_lean_relay_connection_count(CgLeanRelay *relay);
void cg_lean_relay_set_clock(CgLeanRelay *relay, gint64 (*now)(gpointer user), gpointer user);
void cg_lean_relay_check_liveness(CgLeanRelay *relay);
guint cg_lean_relay_keyframe_requests(CgLeanRelay *relay, CgEndpointId publisher);
