/* sdp.c — see sdp.h.
 *
 * Over the ~800-line mark on purpose: reader, writer and answer check share
 * the model and the small helpers, and the build lists this one file; the
 * sections below are the seams along which to split it. */
#include "sdp.h"

#include "ice_agent.h"
#include "media.h"

#include <gst/sdp/sdp.h>
#include <stdarg.h>
#include <string.h>

/* ---- small readers ---------------------------------------------------- */

/* What follows the first space of @value, or "". */
static const char *after_space(const char *value)
{
    const char *sp = value ? strchr(value, ' ') : NULL;
    return sp ? sp + 1 : "";
}

static gboolean has_format(const GstSDPMedia *m, int pt)
{
    for (guint i = 0; i < gst_sdp_media_formats_len(m); i++)
        if (cg_sdp_attr_payload(gst_sdp_media_get_format(m, i)) == pt)
            return TRUE;
    return FALSE;
}

/* The value of @key in "a=1;key=v;b" (fmtp parameters), or NULL. */
static char *fmtp_param(const char *params, const char *key)
{
    g_auto(GStrv) parts = g_strsplit(params, ";", -1);
    gsize klen = strlen(key);
    for (guint i = 0; parts[i]; i++) {
        const char *p = g_strstrip(parts[i]);
        if (g_ascii_strncasecmp(p, key, klen) == 0 && p[klen] == '=')
            return g_strdup(p + klen + 1);
    }
    return NULL;
}

static CgSdpSetup setup_from(const char *v)
{
    if (g_strcmp0(v, "actpass") == 0)
        return CG_SDP_SETUP_ACTPASS;
    if (g_strcmp0(v, "active") == 0)
        return CG_SDP_SETUP_ACTIVE;
    if (g_strcmp0(v, "passive") == 0)
        return CG_SDP_SETUP_PASSIVE;
    return CG_SDP_SETUP_NONE;
}

static const char *setup_name(CgSdpSetup s)
{
    static const char *const names[] = {"none", "actpass", "active", "passive"};
    return names[s];
}

static const char *direction_name(CgSdpDirection d)
{
    static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    return names[d];
}

static gboolean sends(CgSdpDirection d)
{
    return d == CG_SDP_SENDRECV || d == CG_SDP_SENDONLY;
}

static gboolean receives(CgSdpDirection d)
{
    return d == CG_SDP_SENDRECV || d == CG_SDP_RECVONLY;
}

static gboolean trickle_in(const char *options)
{
    g_auto(GStrv) opts = g_strsplit(options ? options : "", " ", -1);
    return g_strv_contains((const char *const *)opts, "trickle");
}

/* ---- parsing ---------------------------------------------------------- */

/* Session-level values an m-line inherits when it has none. */
typedef struct {
    const char *ufrag, *pwd;
    gboolean trickle;
    CgSdpSetup setup;
} SessionDefaults;

typedef struct {
    CgSdpMedia *m;
    GPtrArray *candidates;
    guint *n_candidates; /* over the whole description */
    guint index;
} MediaReader;

static void read_rtpmap(CgSdpCodec *c, const char *rest)
{
    g_auto(GStrv) p = g_strsplit(rest, "/", 3);
    if (!p[0] || !p[1])
        return;
    c->clock_rate = (guint)g_ascii_strtoull(p[1], NULL, 10);
    c->channels = p[2] ? (guint)g_ascii_strtoull(p[2], NULL, 10) : 0;
}

static guint feedback_from(const char *rest)
{
    static const struct {
        const char *name;
        CgSdpFeedback flag;
    } fb[] = {{"nack", CG_SDP_FB_NACK},
              {"nack pli", CG_SDP_FB_PLI},
              {"ccm fir", CG_SDP_FB_FIR},
              {"goog-remb", CG_SDP_FB_REMB},
              {"transport-cc", CG_SDP_FB_TRANSPORT_CC}};
    for (guint i = 0; i < G_N_ELEMENTS(fb); i++)
        if (g_ascii_strcasecmp(rest, fb[i].name) == 0)
            return fb[i].flag;
    return 0;
}

/* The chosen codec: the policy left only Opus/VP8 formats, in offer order. */
static void read_codec(const GstSDPMedia *filtered, CgSdpCodec *c)
{
    c->rtx_pt = -1;
    gboolean bundle_only = gst_sdp_media_get_attribute_val(filtered, "bundle-only") != NULL;
    if ((gst_sdp_media_get_port(filtered) == 0 && !bundle_only) ||
        gst_sdp_media_formats_len(filtered) == 0)
        return;
    int pt = cg_sdp_attr_payload(gst_sdp_media_get_format(filtered, 0));
    if (pt < 0)
        return;
    for (guint i = 0; i < gst_sdp_media_attributes_len(filtered); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(filtered, i);
        gboolean wildcard = a->value && g_str_has_prefix(a->value, "* ");
        if (!wildcard && cg_sdp_attr_payload(a->value) != pt)
            continue;
        const char *rest = after_space(a->value);
        if (g_strcmp0(a->key, "rtpmap") == 0 && !wildcard)
            read_rtpmap(c, rest);
        else if (g_strcmp0(a->key, "fmtp") == 0 && !wildcard && !c->fmtp && *rest)
            c->fmtp = g_strdup(rest);
        else if (g_strcmp0(a->key, "rtcp-fb") == 0)
            c->feedback |= feedback_from(rest);
    }
    c->present = c->clock_rate > 0;
    c->pt = (guint)pt;
}

/* What the policy removed: the RTX payload type of the codec and the FID group. */
static void read_removed(const GstSDPMedia *raw, CgSdpMedia *m)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(raw); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(raw, i);
        const char *rest = after_space(a->value);
        int pt = cg_sdp_attr_payload(a->value);
        if (m->codec.present && m->codec.rtx_pt < 0 && g_strcmp0(a->key, "fmtp") == 0 && pt >= 0 &&
            has_format(raw, pt)) {
            g_autofree char *apt = fmtp_param(rest, "apt");
            g_autofree char *want = g_strdup_printf("%u", m->codec.pt);
            g_autofree char *rtpmap = g_strdup_printf("%d rtx/", pt);
            gboolean is_rtx = FALSE;
            for (guint j = 0; j < gst_sdp_media_attributes_len(raw); j++) {
                const GstSDPAttribute *b = gst_sdp_media_get_attribute(raw, j);
                if (g_strcmp0(b->key, "rtpmap") == 0 && b->value &&
                    g_ascii_strncasecmp(b->value, rtpmap, strlen(rtpmap)) == 0)
                    is_rtx = TRUE;
            }
            if (is_rtx && g_strcmp0(apt, want) == 0)
                m->codec.rtx_pt = pt;
        } else if (g_strcmp0(a->key, "ssrc-group") == 0 && m->fid_media == 0 &&
                   g_str_has_prefix(a->value ? a->value : "", "FID ")) {
            g_auto(GStrv) p = g_strsplit(a->value + 4, " ", 3);
            guint64 s1 = 0, s2 = 0;
            if (p[0] && p[1] && g_ascii_string_to_unsigned(p[0], 10, 1, G_MAXUINT32, &s1, NULL) &&
                g_ascii_string_to_unsigned(p[1], 10, 1, G_MAXUINT32, &s2, NULL)) {
                m->fid_media = (guint32)s1;
                m->fid_rtx = (guint32)s2;
            }
        }
    }
}

static gboolean read_extmap(CgSdpMedia *m, const char *value, guint index, GError **error)
{
    g_auto(GStrv) p = g_strsplit(value ? value : "", " ", 3);
    if (!p[0] || !p[1])
        return TRUE; /* malformed: ignored, it is only an offer to use it */
    char *slash = strchr(p[0], '/');
    if (slash)
        *slash = '\0'; /* "1/sendonly": the direction is not used */
    guint64 id = 0;
    if (!g_ascii_string_to_unsigned(p[0], 10, 1, 255, &id, NULL))
        return TRUE;
    if (m->n_extmaps == CG_SDP_MAX_EXTMAPS) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "m-line %u has more than %u a=extmap lines", index, CG_SDP_MAX_EXTMAPS);
        return FALSE;
    }
    m->extmaps[m->n_extmaps].id = (guint)id;
    m->extmaps[m->n_extmaps].uri = g_strdup(p[1]);
    m->n_extmaps++;
    return TRUE;
}

static gboolean read_ssrc(CgSdpMedia *m, const char *value, guint index, GError **error)
{
    char *end = NULL;
    if (!value || !g_ascii_isdigit(value[0]))
        return TRUE;
    guint64 ssrc = g_ascii_strtoull(value, &end, 10);
    if (ssrc == 0 || ssrc > G_MAXUINT32 || *end != ' ')
        return TRUE; /* malformed: ignored */
    CgSdpSsrc *s = NULL;
    for (guint i = 0; i < m->n_ssrcs && !s; i++)
        if (m->ssrcs[i].ssrc == ssrc)
            s = &m->ssrcs[i];
    if (!s) {
        if (m->n_ssrcs == CG_SDP_MAX_SSRCS) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                        "m-line %u has more than %u SSRCs", index, CG_SDP_MAX_SSRCS);
            return FALSE;
        }
        s = &m->ssrcs[m->n_ssrcs++];
        s->ssrc = (guint32)ssrc;
    }
    const char *attr = end + 1;
    if (g_str_has_prefix(attr, "cname:") && !s->cname) {
        s->cname = g_strdup(attr + 6);
    } else if (g_str_has_prefix(attr, "msid:") && !s->msid_stream) {
        g_auto(GStrv) p = g_strsplit(attr + 5, " ", 2);
        s->msid_stream = g_strdup(p[0]);
        s->msid_track = g_strdup(p[0] ? p[1] : NULL);
    }
    return TRUE;
}

static gboolean read_candidate(MediaReader *r, const char *value, GError **error)
{
    gsize len = strlen(value ? value : "") + strlen("candidate:");
    if (len > CG_MEDIA_MAX_CANDIDATE_BYTES || *r->n_candidates == CG_MEDIA_MAX_REMOTE_CANDIDATES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "the SDP has more than %u candidates or one longer than %u bytes",
                    CG_MEDIA_MAX_REMOTE_CANDIDATES, CG_MEDIA_MAX_CANDIDATE_BYTES);
        return FALSE;
    }
    (*r->n_candidates)++;
    g_ptr_array_add(r->candidates, g_strconcat("candidate:", value ? value : "", NULL));
    return TRUE;
}

static gboolean read_attribute(MediaReader *r, const GstSDPAttribute *a, GError **error)
{
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    CgSdpMedia *m = r->m;
    const char *k = a->key, *v = a->value;
    for (guint d = 0; d < G_N_ELEMENTS(dirs); d++)
        if (g_strcmp0(k, dirs[d]) == 0)
            m->direction = (CgSdpDirection)d;
    if (g_strcmp0(k, "mid") == 0 && !m->mid && v && *v)
        m->mid = g_strdup(v);
    else if (g_strcmp0(k, "ice-ufrag") == 0 && !m->ice_ufrag)
        m->ice_ufrag = g_strdup(v ? v : "");
    else if (g_strcmp0(k, "ice-pwd") == 0 && !m->ice_pwd)
        m->ice_pwd = g_strdup(v ? v : "");
    else if (g_strcmp0(k, "ice-options") == 0)
        m->ice_trickle = m->ice_trickle || trickle_in(v);
    else if (g_strcmp0(k, "setup") == 0)
        m->setup = setup_from(v);
    else if (g_strcmp0(k, "rtcp-mux") == 0)
        m->rtcp_mux = TRUE;
    else if (g_strcmp0(k, "end-of-candidates") == 0)
        m->end_of_candidates = TRUE;
    else if (g_strcmp0(k, "candidate") == 0)
        return read_candidate(r, v, error);
    else if (g_strcmp0(k, "extmap") == 0)
        return read_extmap(m, v, r->index, error);
    else if (g_strcmp0(k, "ssrc") == 0)
        return read_ssrc(m, v, r->index, error);
    else if (g_strcmp0(k, "msid") == 0 && !m->msid_stream && v && *v) {
        g_auto(GStrv) p = g_strsplit(v, " ", 2);
        m->msid_stream = g_strdup(p[0]);
        m->msid_track = g_strdup(p[1]);
    }
    return TRUE;
}

static CgSdpKind kind_from(const char *media)
{
    if (g_strcmp0(media, "audio") == 0)
        return CG_SDP_KIND_AUDIO;
    if (g_strcmp0(media, "video") == 0)
        return CG_SDP_KIND_VIDEO;
    return CG_SDP_KIND_OTHER;
}

static gboolean read_media(const GstSDPMedia *filtered, const GstSDPMedia *raw,
                           const SessionDefaults *def, MediaReader *r, GError **error)
{
    CgSdpMedia *m = r->m;
    m->kind = kind_from(gst_sdp_media_get_media(raw));
    m->media_type = g_strdup(gst_sdp_media_get_media(raw));
    m->proto = g_strdup(gst_sdp_media_get_proto(raw));
    m->first_format =
        g_strdup(gst_sdp_media_formats_len(raw) ? gst_sdp_media_get_format(raw, 0) : "0");
    m->rejected = gst_sdp_media_get_port(raw) == 0 &&
                  !gst_sdp_media_get_attribute_val(raw, "bundle-only"); /* RFC 8843 7.2 */
    m->ice_trickle = def->trickle;
    m->setup = def->setup;
    for (guint i = 0; i < gst_sdp_media_attributes_len(filtered); i++)
        if (!read_attribute(r, gst_sdp_media_get_attribute(filtered, i), error))
            return FALSE;
    if (!m->ice_ufrag && def->ufrag)
        m->ice_ufrag = g_strdup(def->ufrag);
    if (!m->ice_pwd && def->pwd)
        m->ice_pwd = g_strdup(def->pwd);
    if (!m->msid_stream && m->n_ssrcs > 0 && m->ssrcs[0].msid_stream) {
        m->msid_stream = g_strdup(m->ssrcs[0].msid_stream);
        m->msid_track = g_strdup(m->ssrcs[0].msid_track);
    }
    if (m->kind != CG_SDP_KIND_OTHER)
        read_codec(filtered, &m->codec);
    else
        m->codec.rtx_pt = -1;
    read_removed(raw, m);
    if (!cg_sdp_media_usable(m))
        return TRUE;
    gsize ul = m->ice_ufrag ? strlen(m->ice_ufrag) : 0, pl = m->ice_pwd ? strlen(m->ice_pwd) : 0;
    if (ul < CG_ICE_MIN_UFRAG_LEN || ul > CG_ICE_MAX_CREDENTIAL_LEN || pl < CG_ICE_MIN_PWD_LEN ||
        pl > CG_ICE_MAX_CREDENTIAL_LEN) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "m-line %u has no (or malformed) a=ice-ufrag/a=ice-pwd", r->index);
        return FALSE;
    }
    return TRUE;
}

static void read_session(const GstSDPMessage *msg, CgSdp *out, SessionDefaults *def)
{
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++) {
        const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
        const char *v = a->value ? a->value : "";
        if (g_strcmp0(a->key, "group") == 0 && g_str_has_prefix(v, "BUNDLE") && !out->bundle_mids)
            out->bundle_mids = g_strsplit_set(v + strlen("BUNDLE"), " ", -1);
        else if (g_strcmp0(a->key, "ice-lite") == 0)
            out->ice_lite = TRUE;
        else if (g_strcmp0(a->key, "ice-ufrag") == 0 && !def->ufrag)
            def->ufrag = v;
        else if (g_strcmp0(a->key, "ice-pwd") == 0 && !def->pwd)
            def->pwd = v;
        else if (g_strcmp0(a->key, "ice-options") == 0)
            def->trickle = def->trickle || trickle_in(v);
        else if (g_strcmp0(a->key, "setup") == 0)
            def->setup = setup_from(v);
    }
    /* "BUNDLE 0 1" split on spaces leaves empty strings: drop them */
    GPtrArray *mids = g_ptr_array_new();
    for (guint i = 0; out->bundle_mids && out->bundle_mids[i]; i++)
        if (*out->bundle_mids[i])
            g_ptr_array_add(mids, g_strdup(out->bundle_mids[i]));
    g_ptr_array_add(mids, NULL);
    g_strfreev(out->bundle_mids);
    out->bundle_mids = (GStrv)g_ptr_array_free(mids, FALSE);
}

CgSdp *cg_sdp_parse(const char *sdp, gsize len, GError **error)
{
    CgSdpFingerprint fp = {0};
    g_autofree char *filtered = cg_sdp_policy_apply(sdp, len, &fp, error);
    if (!filtered)
        return NULL;
    g_autoptr(CgSdp) out = g_new0(CgSdp, 1);
    out->fingerprint = fp;
    g_autofree char *text = g_strndup(sdp, len);
    g_autoptr(GstSDPMessage) raw = NULL;
    g_autoptr(GstSDPMessage) msg = NULL;
    /* both parsed once already by the policy; m-line counts and order agree */
    if (gst_sdp_message_new_from_text(text, &raw) != GST_SDP_OK ||
        gst_sdp_message_new_from_text(filtered, &msg) != GST_SDP_OK ||
        gst_sdp_message_medias_len(raw) != gst_sdp_message_medias_len(msg)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "the SDP does not parse");
        return NULL;
    }
    SessionDefaults def = {0};
    read_session(msg, out, &def);
    guint n_candidates = 0;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
        g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
        MediaReader r = {&out->media[i], cands, &n_candidates, i};
        out->n_media = i + 1; /* so that free sees this m-line whatever happens */
        gboolean ok = read_media(gst_sdp_message_get_media(msg, i),
                                 gst_sdp_message_get_media(raw, i), &def, &r, error);
        g_ptr_array_add(cands, NULL);
        out->media[i].candidates = (GStrv)g_ptr_array_steal(cands, NULL);
        if (!ok)
            return NULL;
    }
    return g_steal_pointer(&out);
}

static void media_clear(CgSdpMedia *m)
{
    g_free(m->media_type);
    g_free(m->proto);
    g_free(m->first_format);
    g_free(m->mid);
    g_free(m->codec.fmtp);
    for (guint i = 0; i < m->n_extmaps; i++)
        g_free(m->extmaps[i].uri);
    for (guint i = 0; i < m->n_ssrcs; i++) {
        g_free(m->ssrcs[i].cname);
        g_free(m->ssrcs[i].msid_stream);
        g_free(m->ssrcs[i].msid_track);
    }
    g_free(m->msid_stream);
    g_free(m->msid_track);
    g_free(m->ice_ufrag);
    g_free(m->ice_pwd);
    g_strfreev(m->candidates);
}

void cg_sdp_free(CgSdp *sdp)
{
    if (!sdp)
        return;
    for (guint i = 0; i < sdp->n_media; i++)
        media_clear(&sdp->media[i]);
    g_strfreev(sdp->bundle_mids);
    cg_sdp_fingerprint_clear(&sdp->fingerprint);
    g_free(sdp);
}

gboolean cg_sdp_media_usable(const CgSdpMedia *m)
{
    return m && !m->rejected && m->kind != CG_SDP_KIND_OTHER && m->codec.present;
}

guint cg_sdp_media_extmap_id(const CgSdpMedia *m, const char *uri)
{
    for (guint i = 0; m && i < m->n_extmaps; i++)
        if (g_strcmp0(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    return 0;
}

/* ---- writing ---------------------------------------------------------- */

/* Printable, no space: safe to put in an attribute value we write. */
static gboolean is_token(const char *s, gsize max)
{
    if (!s || !*s || strlen(s) > max)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isgraph(*s))
            return FALSE;
    return TRUE;
}

static gboolean local_valid(const CgSdpLocal *local, GError **error)
{
    gboolean ok = local && is_token(local->ice_ufrag, CG_ICE_MAX_CREDENTIAL_LEN) &&
                  is_token(local->ice_pwd, CG_ICE_MAX_CREDENTIAL_LEN) && local->fingerprint &&
                  is_token(local->fingerprint->hash_func, 16) &&
                  is_token(local->fingerprint->value, CG_MEDIA_MAX_FINGERPRINT_BYTES);
    for (guint i = 0; ok && local->candidates && local->candidates[i]; i++) {
        const char *c = local->candidates[i];
        ok = g_str_has_prefix(c, "candidate:") && strlen(c) <= CG_MEDIA_MAX_CANDIDATE_BYTES &&
             !strpbrk(c, "\r\n");
    }
    if (!ok)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "our ICE credentials, fingerprint or candidates are malformed");
    return ok;
}

static GstSDPMessage *new_message(const CgSdpLocal *local)
{
    GstSDPMessage *msg = NULL;
    gst_sdp_message_new(&msg);
    g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT, local->session_id);
    g_autofree char *version = g_strdup_printf("%u", local->session_version);
    gst_sdp_message_set_version(msg, "0");
    gst_sdp_message_set_origin(msg, "-", id, version, "IN", "IP4", "127.0.0.1");
    gst_sdp_message_set_session_name(msg, "-");
    gst_sdp_message_add_time(msg, "0", "0", NULL);
    return msg;
}

/* "m=KIND 9 PROTO" with c=, the transport attributes (BUNDLE: the same on
 * every m-line), and our candidates on the first one. */
static void begin_media(GstSDPMedia *m, const char *kind, const char *proto, const char *mid,
                        const CgSdpLocal *local, CgSdpSetup setup, gboolean first)
{
    memset(m, 0, sizeof *m); /* gst_sdp_media_init() frees what it finds */
    gst_sdp_media_init(m);
    gst_sdp_media_set_media(m, kind);
    gst_sdp_media_set_port_info(m, 9, 0); /* the discard port: candidates carry addresses */
    gst_sdp_media_set_proto(m, proto);
    gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
    if (mid)
        gst_sdp_media_add_attribute(m, "mid", mid);
    gst_sdp_media_add_attribute(m, "ice-ufrag", local->ice_ufrag);
    gst_sdp_media_add_attribute(m, "ice-pwd", local->ice_pwd);
    gst_sdp_media_add_attribute(m, "ice-options", "trickle");
    g_autofree char *fp =
        g_strdup_printf("%s %s", local->fingerprint->hash_func, local->fingerprint->value);
    gst_sdp_media_add_attribute(m, "fingerprint", fp);
    gst_sdp_media_add_attribute(m, "setup", setup_name(setup));
    gst_sdp_media_add_attribute(m, "rtcp-mux", NULL);
    for (guint i = 0; first && local->candidates && local->candidates[i]; i++)
        gst_sdp_media_add_attribute(m, "candidate", local->candidates[i] + strlen("candidate:"));
    if (first && local->end_of_candidates)
        gst_sdp_media_add_attribute(m, "end-of-candidates", NULL);
}

static void add_attr_printf(GstSDPMedia *m, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void add_attr_printf(GstSDPMedia *m, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gst_sdp_media_add_attribute(m, key, v);
}

/* The extensions consultd uses (mid; audio level on audio), with @src's ids. */
static void add_extmaps(GstSDPMedia *m, const CgSdpMedia *src)
{
    guint mid = cg_sdp_media_extmap_id(src, CG_SDP_EXT_MID);
    guint level = src->kind == CG_SDP_KIND_AUDIO
                      ? cg_sdp_media_extmap_id(src, CG_SDP_EXT_AUDIO_LEVEL)
                      : 0;
    if (mid)
        add_attr_printf(m, "extmap", "%u %s", mid, CG_SDP_EXT_MID);
    if (level)
        add_attr_printf(m, "extmap", "%u %s", level, CG_SDP_EXT_AUDIO_LEVEL);
}

/* The codec of @src: formats, rtpmap, the feedback both support, fmtp, RTX.
 * Opus gets its resilience parameters later, from cg_sdp_enable_opus_resilience. */
static void add_codec(GstSDPMedia *m, const CgSdpMedia *src, const char *fmtp)
{
    const CgSdpCodec *c = &src->codec;
    gboolean audio = src->kind == CG_SDP_KIND_AUDIO;
    if (c->channels)
        add_attr_printf(m, "rtpmap", "%u %s/%u/%u", c->pt, audio ? "opus" : "VP8", c->clock_rate,
                        c->channels);
    else
        add_attr_printf(m, "rtpmap", "%u %s/%u", c->pt, audio ? "opus" : "VP8", c->clock_rate);
    guint fb = c->feedback & CG_SDP_FB_SUPPORTED;
    static const char *const fb_names[] = {"nack", "nack pli", "ccm fir", "goog-remb"};
    for (guint i = 0; i < G_N_ELEMENTS(fb_names); i++)
        if (fb & (1u << i))
            add_attr_printf(m, "rtcp-fb", "%u %s", c->pt, fb_names[i]);
    if (fmtp && *fmtp)
        add_attr_printf(m, "fmtp", "%u %s", c->pt, fmtp);
    g_autofree char *pt = g_strdup_printf("%u", c->pt);
    gst_sdp_media_add_format(m, pt);
    if (audio || c->rtx_pt < 0)
        return;
    g_autofree char *rtx = g_strdup_printf("%d", c->rtx_pt);
    gst_sdp_media_add_format(m, rtx);
    add_attr_printf(m, "rtpmap", "%d rtx/%u", c->rtx_pt, c->clock_rate);
    add_attr_printf(m, "fmtp", "%d apt=%u", c->rtx_pt, c->pt);
}

static void add_rejected(GstSDPMessage *msg, const CgSdpMedia *src)
{
    GstSDPMedia m = {0};
    gst_sdp_media_init(&m);
    gst_sdp_media_set_media(&m, src->media_type ? src->media_type : "application");
    gst_sdp_media_set_port_info(&m, 0, 0);
    gst_sdp_media_set_proto(&m, src->proto ? src->proto : "UDP/TLS/RTP/SAVPF");
    gst_sdp_media_add_format(&m, src->first_format ? src->first_format : "0");
    gst_sdp_media_add_connection(&m, "IN", "IP4", "0.0.0.0", 0, 0);
    if (src->mid)
        gst_sdp_media_add_attribute(&m, "mid", src->mid);
    gst_sdp_message_add_media(msg, &m); /* takes the contents */
}

static void add_group(GstSDPMessage *msg, GPtrArray *mids)
{
    if (mids->len == 0)
        return;
    g_ptr_array_add(mids, NULL);
    g_autofree char *list = g_strjoinv(" ", (GStrv)mids->pdata);
    g_ptr_array_remove_index(mids, mids->len - 1);
    g_autofree char *v = g_strconcat("BUNDLE ", list, NULL);
    gst_sdp_message_add_attribute(msg, "group", v);
}

static char *finish(GstSDPMessage *msg)
{
    cg_sdp_enable_opus_resilience(msg);
    char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    return text;
}

/* Our DTLS role in an answer; RFC 4145 reads a missing a=setup as active. */
static gboolean answer_setup(CgSdpSetup offered, CgSdpSetup wanted, CgSdpSetup *out,
                             GError **error)
{
    gboolean offer_client =
        offered != CG_SDP_SETUP_PASSIVE && offered != CG_SDP_SETUP_ACTPASS;
    gboolean offer_server = offered == CG_SDP_SETUP_PASSIVE;
    if (wanted == CG_SDP_SETUP_NONE)
        wanted = offer_server ? CG_SDP_SETUP_ACTIVE : CG_SDP_SETUP_PASSIVE;
    if (wanted == CG_SDP_SETUP_ACTPASS ||
        (wanted == CG_SDP_SETUP_ACTIVE && offer_client) ||
        (wanted == CG_SDP_SETUP_PASSIVE && offer_server)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the offer's a=setup:%s leaves no DTLS role for a=setup:%s",
                    setup_name(offered), setup_name(wanted));
        return FALSE;
    }
    *out = wanted;
    return TRUE;
}

/* The usable m-lines must share one BUNDLE transport with rtcp-mux. */
static gboolean offer_transport_ok(const CgSdp *offer, guint *first, GError **error)
{
    guint usable = 0;
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *m = &offer->media[i];
        if (!cg_sdp_media_usable(m))
            continue;
        if (usable++ == 0)
            *first = i;
        if (!m->rtcp_mux) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                        "m-line %u lacks a=rtcp-mux, which consultd requires", i);
            return FALSE;
        }
        for (guint j = 0; j < i; j++)
            if (m->mid && g_strcmp0(offer->media[j].mid, m->mid) == 0) {
                g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                            "m-lines %u and %u have the same a=mid", j, i);
                return FALSE;
            }
    }
    for (guint i = 0; i < offer->n_media && usable > 1; i++) {
        const CgSdpMedia *m = &offer->media[i];
        if (cg_sdp_media_usable(m) &&
            (!m->mid || !g_strv_contains((const char *const *)offer->bundle_mids, m->mid))) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                        "m-line %u is not in the BUNDLE group; consultd needs max-bundle", i);
            return FALSE;
        }
    }
    if (usable == 0)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the offer has no usable Opus or VP8 m-line");
    return usable > 0;
}

char *cg_sdp_build_answer(const CgSdp *offer, const CgSdpLocal *local, GError **error)
{
    g_return_val_if_fail(offer != NULL, NULL);
    guint first = 0;
    CgSdpSetup setup;
    if (!local_valid(local, error) || !offer_transport_ok(offer, &first, error) ||
        !answer_setup(offer->media[first].setup, local->setup, &setup, error))
        return NULL;
    GstSDPMessage *msg = new_message(local);
    g_autoptr(GPtrArray) bundle = g_ptr_array_new();
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *o = &offer->media[i];
        if (cg_sdp_media_usable(o) && o->mid &&
            g_strv_contains((const char *const *)offer->bundle_mids, o->mid))
            g_ptr_array_add(bundle, o->mid);
    }
    add_group(msg, bundle);
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *o = &offer->media[i];
        if (!cg_sdp_media_usable(o)) {
            add_rejected(msg, o);
            continue;
        }
        gboolean audio = o->kind == CG_SDP_KIND_AUDIO;
        GstSDPMedia m;
        begin_media(&m, audio ? "audio" : "video", o->proto, o->mid, local, setup, i == first);
        gst_sdp_media_add_attribute(&m, sends(o->direction) ? "recvonly" : "inactive", NULL);
        add_extmaps(&m, o);
        /* our receive preferences: the offer's Opus parameters are the offerer's */
        add_codec(&m, o, audio ? "minptime=10" : NULL);
        gst_sdp_message_add_media(msg, &m);
    }
    return finish(msg);
}

const CgSdpMedia *cg_sdp_sending(const CgSdp *sdp, CgSdpKind kind, guint nth)
{
    for (guint i = 0; i < sdp->n_media; i++) {
        const CgSdpMedia *m = &sdp->media[i];
        if (m->kind == kind && cg_sdp_media_usable(m) && sends(m->direction) && nth-- == 0)
            return m;
    }
    return NULL;
}

static void add_ssrcs(GstSDPMedia *m, const CgSdpMedia *src, const CgSdpRelay *relay,
                      const char *track)
{
    add_attr_printf(m, "msid", "%s %s", relay->stream_id, track);
    gboolean rtx = src->codec.rtx_pt >= 0 && src->fid_media && src->fid_rtx;
    if (rtx)
        add_attr_printf(m, "ssrc-group", "FID %u %u", src->fid_media, src->fid_rtx);
    const char *cname = relay->cname;
    for (guint i = 0; !cname && i < src->n_ssrcs; i++)
        cname = src->ssrcs[i].cname;
    for (guint i = 0; i < src->n_ssrcs; i++) {
        guint32 s = src->ssrcs[i].ssrc;
        if (!rtx && s == src->fid_rtx)
            continue; /* a retransmission stream nobody can decode */
        if (cname)
            add_attr_printf(m, "ssrc", "%u cname:%s", s, cname);
        add_attr_printf(m, "ssrc", "%u msid:%s %s", s, relay->stream_id, track);
    }
}

static gboolean relay_valid(const CgSdpRelay *relay, const CgSdpMedia *const src[2],
                            gboolean screen_line, GError **error)
{
    gboolean ok = relay && is_token(relay->stream_id, 64) &&
                  (!src[0] || is_token(relay->audio_track_id, 64)) &&
                  (!src[1] || is_token(relay->video_track_id, 64)) &&
                  (!screen_line || is_token(relay->screen_track_id, 64)) &&
                  (!relay->cname || is_token(relay->cname, 255));
    guint needed = (src[0] ? 1 : 0) + (src[1] ? 1 : 0) + (screen_line ? 1 : 0);
    for (guint i = 0; ok && relay->mids && i < needed; i++)
        ok = is_token(relay->mids[i], 32);
    if (!ok)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "the relay's stream, track, cname or mid names are missing or not tokens");
    return ok;
}

char *cg_sdp_build_sub_offer(const CgSdp *publisher, const CgSdpLocal *local,
                                  const CgSdpRelay *relay, GError **error)
{
    g_return_val_if_fail(publisher != NULL, NULL);
    const CgSdpMedia *src[3] = {cg_sdp_sending(publisher, CG_SDP_KIND_AUDIO, 0),
                                    cg_sdp_sending(publisher, CG_SDP_KIND_VIDEO, 0), NULL};
    if (!src[0] && !src[1]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the publisher sends neither Opus audio nor VP8 video");
        return NULL;
    }
    src[2] = relay && relay->screen_track_id
                 ? cg_sdp_sending(publisher, CG_SDP_KIND_VIDEO, 1)
                 : NULL;
    gboolean screen_line = src[1] && relay && relay->screen_track_id && (src[2] || relay->screen_slot);
    if (!local_valid(local, error) || !relay_valid(relay, src, screen_line, error))
        return NULL;
    static const char *const default_mids[] = {"0", "1", "2"};
    const char *mids[3];
    guint n = 0;
    for (guint k = 0; k < 3; k++)
        if (k < 2 ? src[k] != NULL : screen_line) {
            mids[n] = relay->mids ? relay->mids[n] : default_mids[n];
            n++;
        }
    GstSDPMessage *msg = new_message(local);
    g_autoptr(GPtrArray) bundle = g_ptr_array_new();
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(bundle, (gpointer)mids[i]);
    add_group(msg, bundle);
    g_autofree char *wms = g_strdup_printf(" WMS %s", relay->stream_id);
    gst_sdp_message_add_attribute(msg, "msid-semantic", wms);
    for (guint k = 0, i = 0; k < 3; k++) {
        if (k < 2 ? !src[k] : !screen_line)
            continue;
        gboolean audio = k == 0;
        GstSDPMedia m;
        begin_media(&m, audio ? "audio" : "video", "UDP/TLS/RTP/SAVPF", mids[i], local,
                    CG_SDP_SETUP_ACTPASS, i == 0);
        if (k == 2 && !src[2]) {
            /* the slot of a stopped screen share: inactive, the camera's codec */
            gst_sdp_media_add_attribute(&m, "inactive", NULL);
            gst_sdp_media_add_attribute(&m, "content", "slides");
            add_codec(&m, src[1], src[1]->codec.fmtp);
            gst_sdp_message_add_media(msg, &m);
            i++;
            continue;
        }
        gst_sdp_media_add_attribute(&m, "sendonly", NULL);
        if (k == 2)
            gst_sdp_media_add_attribute(&m, "content", "slides"); /* RFC 4796 */
        add_extmaps(&m, src[k]);
        /* the publisher's parameters describe the stream as it is encoded */
        add_codec(&m, src[k], src[k]->codec.fmtp);
        add_ssrcs(&m, src[k], relay,
                  k == 0 ? relay->audio_track_id
                         : k == 1 ? relay->video_track_id : relay->screen_track_id);
        gst_sdp_message_add_media(msg, &m);
        i++;
    }
    return finish(msg);
}

/* ---- checking an answer to our offer ---------------------------------- */

static gboolean setup_completes(CgSdpSetup offer, CgSdpSetup answer)
{
    if (offer == CG_SDP_SETUP_ACTPASS)
        return answer == CG_SDP_SETUP_ACTIVE || answer == CG_SDP_SETUP_PASSIVE;
    if (offer == CG_SDP_SETUP_PASSIVE)
        return answer == CG_SDP_SETUP_ACTIVE;
    return answer == CG_SDP_SETUP_PASSIVE;
}

static gboolean check_mline(guint i, const CgSdpMedia *o, const CgSdpMedia *a,
                            CgSdpAccepted *acc, GError **error)
{
    const char *fail = NULL;
    memset(acc, 0, sizeof *acc);
    acc->rtx_pt = -1;
    if (a->kind != o->kind)
        fail = "its media kind differs from the offer's";
    else if (!a->rejected && g_strcmp0(a->mid, o->mid) != 0)
        fail = "its a=mid differs from the offer's";
    else if (o->rejected || a->rejected || !cg_sdp_media_usable(o))
        return TRUE;
    else if ((sends(a->direction) && !receives(o->direction)) ||
             (receives(a->direction) && !sends(o->direction)))
        fail = "its direction does not fit the offer's";
    else if (a->direction == CG_SDP_INACTIVE)
        return TRUE;
    else if (!a->codec.present || a->codec.pt != o->codec.pt)
        fail = o->kind == CG_SDP_KIND_AUDIO ? "it does not accept the offered Opus payload"
                                                 : "it does not accept the offered VP8 payload";
    else if (!a->rtcp_mux)
        fail = "it lacks a=rtcp-mux";
    else if (!setup_completes(o->setup, a->setup))
        fail = "its a=setup does not complete the offer's DTLS role";
    if (fail) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "answer m-line %u (mid %s, %s, setup %s): %s", i, a->mid ? a->mid : "-",
                    direction_name(a->direction), setup_name(a->setup), fail);
        return FALSE;
    }
    acc->active = TRUE;
    acc->pt = o->codec.pt;
    if (o->codec.rtx_pt >= 0 && a->codec.rtx_pt == o->codec.rtx_pt)
        acc->rtx_pt = o->codec.rtx_pt;
    acc->feedback = o->codec.feedback & a->codec.feedback;
    acc->ext_mid_id = cg_sdp_media_extmap_id(a, CG_SDP_EXT_MID);
    acc->ext_audio_level_id = cg_sdp_media_extmap_id(a, CG_SDP_EXT_AUDIO_LEVEL);
    return TRUE;
}

gboolean cg_sdp_check_answer(const CgSdp *offer, const CgSdp *answer,
                                  CgSdpAccepted *accepted, GError **error)
{
    g_return_val_if_fail(offer != NULL && answer != NULL, FALSE);
    if (answer->n_media != offer->n_media) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the answer has %u m-lines; the offer had %u", answer->n_media, offer->n_media);
        return FALSE;
    }
    CgSdpAccepted local[CG_MEDIA_MAX_MLINES];
    CgSdpAccepted *acc = accepted ? accepted : local;
    guint active = 0;
    for (guint i = 0; i < offer->n_media; i++) {
        if (!check_mline(i, &offer->media[i], &answer->media[i], &acc[i], error))
            return FALSE;
        active += acc[i].active ? 1 : 0;
    }
    if (active == 0) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the answer accepts none of the offered m-lines");
        return FALSE;
    }
    return TRUE;
}
