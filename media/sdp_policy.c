/* sdp_policy.c — see sdp_policy.h. */
#include "sdp_policy.h"

#include "media-limits.h"
#include "media.h"

#include <gst/sdp/sdp.h>
#include <string.h>

void cg_sdp_fingerprint_clear(CgSdpFingerprint *fp)
{
    if (!fp)
        return;
    g_clear_pointer(&fp->hash_func, g_free);
    g_clear_pointer(&fp->value, g_free);
}

static gboolean proto_is_dtls(const char *proto)
{
    static const char *const ok[] = {"UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP", "TCP/DTLS/RTP/SAVPF",
                                     "TCP/DTLS/RTP/SAVP", NULL};
    for (guint i = 0; proto && ok[i]; i++)
        if (g_ascii_strcasecmp(proto, ok[i]) == 0)
            return TRUE;
    return FALSE;
}

static gboolean hash_func_known(const char *h)
{
    static const char *const ok[] = {"sha-1", "sha-256", "sha-384", "sha-512", NULL};
    for (guint i = 0; ok[i]; i++)
        if (g_ascii_strcasecmp(h, ok[i]) == 0)
            return TRUE;
    return FALSE;
}

/* "AB:CD:..." — pairs of hex digits separated by colons. */
static gboolean fingerprint_hex_valid(const char *v)
{
    gsize n = strlen(v);
    if (n < 2 || n > CG_MEDIA_MAX_FINGERPRINT_BYTES || (n + 1) % 3 != 0)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        gboolean want_colon = (i % 3) == 2;
        if (want_colon ? v[i] != ':' : !g_ascii_isxdigit(v[i]))
            return FALSE;
    }
    return TRUE;
}

/* Parses one a=fingerprint value into @fp, or checks it equals the one seen. */
static gboolean take_fingerprint(const char *attr, CgSdpFingerprint *fp, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(attr ? attr : "", " ", 3);
    if (g_strv_length(parts) != 2 || !hash_func_known(parts[0]) ||
        !fingerprint_hex_valid(parts[1])) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED,
                    "a=fingerprint is malformed or uses an unknown hash function");
        return FALSE;
    }
    g_autofree char *hash = g_ascii_strdown(parts[0], -1);
    g_autofree char *value = g_ascii_strup(parts[1], -1);
    if (fp->hash_func) {
        if (strcmp(fp->hash_func, hash) != 0 || strcmp(fp->value, value) != 0) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED,
                        "the SDP carries more than one a=fingerprint");
            return FALSE;
        }
        return TRUE;
    }
    fp->hash_func = g_steal_pointer(&hash);
    fp->value = g_steal_pointer(&value);
    return TRUE;
}

static gboolean scan_attributes(guint n, const GstSDPAttribute *(*get)(gconstpointer, guint),
                                gconstpointer obj, CgSdpFingerprint *fp, GError **error)
{
    for (guint i = 0; i < n; i++) {
        const GstSDPAttribute *a = get(obj, i);
        if (g_strcmp0(a->key, "crypto") == 0) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED,
                        "SDES (a=crypto) is not accepted; use DTLS-SRTP");
            return FALSE;
        }
        if (g_strcmp0(a->key, "fingerprint") == 0 && !take_fingerprint(a->value, fp, error))
            return FALSE;
    }
    return TRUE;
}

static const GstSDPAttribute *msg_attr(gconstpointer o, guint i)
{
    return gst_sdp_message_get_attribute(o, i);
}

static const GstSDPAttribute *media_attr(gconstpointer o, guint i)
{
    return gst_sdp_media_get_attribute(o, i);
}

int cg_sdp_attr_payload(const char *value)
{
    if (!value || !g_ascii_isdigit(value[0]))
        return -1;
    char *end = NULL;
    guint64 pt = g_ascii_strtoull(value, &end, 10);
    if (pt > 127 || (*end != ' ' && *end != '\0'))
        return -1;
    return (int)pt;
}

/* Which payload types of @m we keep: those whose rtpmap names @codec. */
static void find_usable(const GstSDPMedia *m, const char *codec, gboolean keep[128])
{
    memset(keep, 0, 128 * sizeof(gboolean));
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (g_strcmp0(a->key, "rtpmap") != 0)
            continue;
        int pt = cg_sdp_attr_payload(a->value);
        const char *enc = a->value ? strchr(a->value, ' ') : NULL;
        if (pt < 0 || !enc)
            continue;
        enc++;
        gsize clen = strlen(codec);
        if (g_ascii_strncasecmp(enc, codec, clen) == 0 && enc[clen] == '/')
            keep[pt] = TRUE;
    }
}

static void reject_media(GstSDPMedia *m)
{
    gst_sdp_media_set_port_info(m, 0, 0);
}

/* Filters one m-line; returns TRUE if it still carries a usable codec. */
static gboolean filter_media(GstSDPMedia *m)
{
    const char *kind = gst_sdp_media_get_media(m);
    const char *codec = g_strcmp0(kind, "audio") == 0   ? "opus"
                        : g_strcmp0(kind, "video") == 0 ? "VP8"
                                                        : NULL;
    /* Port 0 with a=bundle-only is a BUNDLEd m-line (RFC 8843 7.2), not a
     * rejected one: max-bundle offerers (webrtcbin, Chrome) send them. */
    if (!codec ||
        (gst_sdp_media_get_port(m) == 0 && !gst_sdp_media_get_attribute_val(m, "bundle-only"))) {
        reject_media(m);
        return FALSE;
    }
    gboolean keep[128];
    find_usable(m, codec, keep);
    guint kept = 0;
    for (guint i = gst_sdp_media_formats_len(m); i-- > 0;) {
        int pt = cg_sdp_attr_payload(gst_sdp_media_get_format(m, i));
        if (pt >= 0 && keep[pt])
            kept++;
        else
            gst_sdp_media_remove_format(m, i);
    }
    for (guint i = gst_sdp_media_attributes_len(m); i-- > 0;) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        gboolean per_pt = g_strcmp0(a->key, "rtpmap") == 0 || g_strcmp0(a->key, "fmtp") == 0 ||
                          g_strcmp0(a->key, "rtcp-fb") == 0;
        int pt = cg_sdp_attr_payload(a->value);
        gboolean wildcard = per_pt && a->value && a->value[0] == '*';
        if ((per_pt && !wildcard && (pt < 0 || !keep[pt])) || g_strcmp0(a->key, "ssrc-group") == 0)
            gst_sdp_media_remove_attribute(m, i);
    }
    if (kept == 0) {
        /* an m-line must keep one format, even when rejected */
        gst_sdp_media_add_format(m, g_strcmp0(kind, "audio") == 0 ? "0" : "96");
        reject_media(m);
        return FALSE;
    }
    return TRUE;
}

char *cg_sdp_policy_apply(const char *sdp, gsize len, CgSdpFingerprint *fp, GError **error)
{
    g_return_val_if_fail(fp != NULL && !fp->hash_func, NULL);
    if (!sdp || len == 0 || len > CG_MEDIA_MAX_SDP_BYTES || memchr(sdp, '\0', len)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the SDP is empty, binary or larger than %u bytes", CG_MEDIA_MAX_SDP_BYTES);
        return NULL;
    }
    g_autofree char *text = g_strndup(sdp, len);
    g_autoptr(GstSDPMessage) msg = NULL;
    if (!g_str_has_prefix(text, "v=0") || gst_sdp_message_new_from_text(text, &msg) != GST_SDP_OK ||
        gst_sdp_message_medias_len(msg) == 0 ||
        gst_sdp_message_medias_len(msg) > CG_MEDIA_MAX_MLINES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the SDP does not parse or has no (or too many) m-lines");
        return NULL;
    }
    CgSdpFingerprint found = {0};
    if (!scan_attributes(gst_sdp_message_attributes_len(msg), msg_attr, msg, &found, error))
        goto fail;
    guint usable = 0;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
        GstSDPMedia *m = (GstSDPMedia *)gst_sdp_message_get_media(msg, i);
        if (!scan_attributes(gst_sdp_media_attributes_len(m), media_attr, m, &found, error))
            goto fail;
        const char *kind = gst_sdp_media_get_media(m);
        gboolean av = g_strcmp0(kind, "audio") == 0 || g_strcmp0(kind, "video") == 0;
        if (av && !proto_is_dtls(gst_sdp_media_get_proto(m))) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED,
                        "m-line %u uses profile %s; DTLS-SRTP is required", i,
                        gst_sdp_media_get_proto(m) ? gst_sdp_media_get_proto(m) : "(none)");
            goto fail;
        }
        if (filter_media(m))
            usable++;
    }
    if (!found.hash_func) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED,
                    "the SDP has no a=fingerprint");
        goto fail;
    }
    if (usable == 0) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the SDP offers neither Opus audio nor VP8 video");
        goto fail;
    }
    *fp = found;
    return gst_sdp_message_as_text(msg);
fail:
    cg_sdp_fingerprint_clear(&found);
    return NULL;
}

/* "minptime=10;useinbandfec=0" + key=value: the value replaced or appended. */
static char *fmtp_with(const char *params, const char *key, const char *value)
{
    g_auto(GStrv) parts = g_strsplit(params ? params : "", ";", -1);
    GString *out = g_string_new(NULL);
    gboolean found = FALSE;
    for (guint i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        if (!*p)
            continue;
        gsize klen = strlen(key);
        gboolean is_key = g_ascii_strncasecmp(p, key, klen) == 0 && p[klen] == '=';
        g_string_append_printf(out, "%s%s", out->len ? ";" : "", is_key ? "" : p);
        if (is_key) {
            g_string_append_printf(out, "%s=%s", key, value);
            found = TRUE;
        }
    }
    if (!found)
        g_string_append_printf(out, "%s%s=%s", out->len ? ";" : "", key, value);
    return g_string_free(out, FALSE);
}

void cg_sdp_enable_opus_resilience(GstSDPMessage *msg)
{
    for (guint m = 0; m < gst_sdp_message_medias_len(msg); m++) {
        GstSDPMedia *media = (GstSDPMedia *)gst_sdp_message_get_media(msg, m);
        for (guint f = 0; f < gst_sdp_media_formats_len(media); f++) {
            const char *pt = gst_sdp_media_get_format(media, f);
            g_autofree char *rtpmap_prefix = g_strdup_printf("%s ", pt);
            gboolean is_opus = FALSE;
            for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
                const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
                if (g_str_equal(attr->key, "rtpmap") && attr->value &&
                    g_str_has_prefix(attr->value, rtpmap_prefix) &&
                    g_ascii_strncasecmp(attr->value + strlen(rtpmap_prefix), "opus/", 5) == 0)
                    is_opus = TRUE;
            }
            if (!is_opus)
                continue;
            gint fmtp_index = -1;
            const char *params = NULL;
            for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
                const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
                if (g_str_equal(attr->key, "fmtp") && attr->value &&
                    g_str_has_prefix(attr->value, rtpmap_prefix)) {
                    fmtp_index = (gint)a;
                    params = attr->value + strlen(rtpmap_prefix);
                }
            }
            g_autofree char *with_fec = fmtp_with(params, "useinbandfec", "1");
            g_autofree char *with_dtx = fmtp_with(with_fec, "usedtx", "1");
            g_autofree char *value = g_strdup_printf("%s %s", pt, with_dtx);
            if (fmtp_index < 0) {
                gst_sdp_media_add_attribute(media, "fmtp", value);
            } else {
                GstSDPAttribute attr; /* taken over by the media */
                gst_sdp_attribute_set(&attr, "fmtp", value);
                gst_sdp_media_replace_attribute(media, (guint)fmtp_index, &attr);
            }
        }
    }
}
