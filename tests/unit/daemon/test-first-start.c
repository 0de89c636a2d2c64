/* test-first-start.c — daemon/first_start: the generated localhost pair is what a
 * TLS server needs and is never regenerated; secret files are private, of the
 * right shape, kept when present and read back trimmed. */
#include "first_start.h"
#include "log.h"
#include "test-daemon-util.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *dir;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = cg_test_make_tmpdir();
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    cg_test_rm_rf(f->dir);
    g_free(f->dir);
}

static guint file_mode(const char *path)
{
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return st.st_mode & 07777;
}

static char *read_all(const char *path, gsize *len)
{
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(path, &text, len, &error);
    g_assert_no_error(error);
    return text;
}

static X509 *load_cert(const char *path)
{
    FILE *fp = fopen(path, "r");
    g_assert_nonnull(fp);
    X509 *cert = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    g_assert_nonnull(cert);
    return cert;
}

/* Checks the SAN holds DNS:localhost, IP:127.0.0.1 and IP:::1. */
static void assert_localhost_san(X509 *cert)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    g_assert_nonnull(names);
    gboolean dns = FALSE, v4 = FALSE, v6 = FALSE;
    unsigned char lo4[4], lo6[16];
    inet_pton(AF_INET, "127.0.0.1", lo4);
    inet_pton(AF_INET6, "::1", lo6);
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DNS) {
            dns |= strcmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName), "localhost") == 0;
        } else if (gn->type == GEN_IPADD) {
            const unsigned char *ip = ASN1_STRING_get0_data(gn->d.iPAddress);
            int len = ASN1_STRING_length(gn->d.iPAddress);
            v4 |= len == 4 && memcmp(ip, lo4, 4) == 0;
            v6 |= len == 16 && memcmp(ip, lo6, 16) == 0;
        }
    }
    GENERAL_NAMES_free(names);
    g_assert_true(dns);
    g_assert_true(v4);
    g_assert_true(v6);
    g_assert_cmpint(X509_check_host(cert, "localhost", 0, 0, NULL), ==, 1);
    g_assert_cmpint(X509_check_ip_asc(cert, "127.0.0.1", 0), ==, 1);
}

static void assert_server_cert_shape(X509 *cert)
{
    g_assert_cmpint(X509_get_version(cert), ==, X509_VERSION_3);
    g_assert_cmpint(X509_get_signature_nid(cert), ==, NID_ecdsa_with_SHA256);
    /* Valid now, for about a year. */
    g_assert_cmpint(X509_cmp_current_time(X509_get0_notBefore(cert)), <, 0);
    time_t in_360_days = time(NULL) + 360L * 24 * 3600;
    time_t in_370_days = time(NULL) + 370L * 24 * 3600;
    g_assert_cmpint(X509_cmp_time(X509_get0_notAfter(cert), &in_360_days), >, 0);
    g_assert_cmpint(X509_cmp_time(X509_get0_notAfter(cert), &in_370_days), <, 0);
    /* A server leaf: not a CA, serverAuth, digitalSignature. */
    g_assert_cmpint(X509_check_ca(cert), ==, 0);
    g_assert_true(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE);
    g_assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
    g_assert_true(X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE);
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
    g_assert_cmpint(ASN1_STRING_length(serial), ==, 8);

    EVP_PKEY *pub = X509_get0_pubkey(cert);
    g_assert_nonnull(pub);
    g_assert_true(EVP_PKEY_is_a(pub, "EC"));
    char group[64] = "";
    size_t glen = 0;
    g_assert_cmpint(EVP_PKEY_get_group_name(pub, group, sizeof group, &glen), ==, 1);
    g_assert_cmpstr(group, ==, "prime256v1");
}

static void test_certificate_generated(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *key_dir = g_build_filename(f->dir, "private", NULL);
    g_autofree char *cert = g_build_filename(f->dir, "tls", "certs", "cert.pem", NULL);
    g_autofree char *key = g_build_filename(key_dir, "key.pem", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(cg_first_start_certificate(cert, key, &error));
    g_assert_no_error(error);

    g_assert_cmpuint(file_mode(key), ==, 0600);
    g_assert_cmpuint(file_mode(cert), ==, 0644);
    g_assert_cmpuint(file_mode(key_dir), ==, 0700);

    /* A TLS server context accepts the pair as its certificate and key. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    g_assert_nonnull(ctx);
    g_assert_cmpint(SSL_CTX_use_certificate_chain_file(ctx, cert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), ==, 1);
    g_assert_cmpint(SSL_CTX_check_private_key(ctx), ==, 1);
    SSL_CTX_free(ctx);

    X509 *x = load_cert(cert);
    FILE *fp = fopen(key, "r");
    g_assert_nonnull(fp);
    EVP_PKEY *pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    g_assert_nonnull(pkey);
    g_assert_cmpint(X509_check_private_key(x, pkey), ==, 1);
    assert_localhost_san(x);
    assert_server_cert_shape(x);
    /* Self-signed: verifies with its own key. */
    g_assert_cmpint(X509_verify(x, pkey), ==, 1);
    EVP_PKEY_free(pkey);
    X509_free(x);

    /* No temporary files left behind. */
    g_autofree char *cert_dir = g_path_get_dirname(cert);
    GDir *d = g_dir_open(key_dir, 0, NULL);
    g_assert_cmpstr(g_dir_read_name(d), ==, "key.pem");
    g_assert_null(g_dir_read_name(d));
    g_dir_close(d);
    d = g_dir_open(cert_dir, 0, NULL);
    g_assert_cmpstr(g_dir_read_name(d), ==, "cert.pem");
    g_assert_null(g_dir_read_name(d));
    g_dir_close(d);
}

static void test_certificate_kept(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *cert = g_build_filename(f->dir, "cert.pem", NULL);
    g_autofree char *key = g_build_filename(f->dir, "key.pem", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(cg_first_start_certificate(cert, key, &error));
    g_assert_no_error(error);
    gsize cert_len, key_len;
    g_autofree char *cert1 = read_all(cert, &cert_len);
    g_autofree char *key1 = read_all(key, &key_len);

    g_assert_true(cg_first_start_certificate(cert, key, &error));
    g_assert_no_error(error);
    gsize len2;
    g_autofree char *cert2 = read_all(cert, &len2);
    g_assert_cmpmem(cert1, cert_len, cert2, len2);
    g_autofree char *key2 = read_all(key, &len2);
    g_assert_cmpmem(key1, key_len, key2, len2);

    /* Two fresh pairs differ (new key, new random serial). */
    g_autofree char *cert_b = g_build_filename(f->dir, "b", "cert.pem", NULL);
    g_autofree char *key_b = g_build_filename(f->dir, "b", "key.pem", NULL);
    g_assert_true(cg_first_start_certificate(cert_b, key_b, &error));
    g_assert_no_error(error);
    X509 *a = load_cert(cert);
    X509 *b = load_cert(cert_b);
    g_assert_cmpint(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)), !=, 0);
    g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)), !=, 1);
    X509_free(a);
    X509_free(b);
}

static void test_certificate_half_pair(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *cert = g_build_filename(f->dir, "cert.pem", NULL);
    g_autofree char *key = g_build_filename(f->dir, "key.pem", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_first_start_certificate(cert, key, &error));

    /* Key present, certificate missing: refused, naming the certificate. */
    g_assert_cmpint(g_unlink(cert), ==, 0);
    g_assert_false(cg_first_start_certificate(cert, key, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INCOMPLETE);
    g_assert_nonnull(strstr(error->message, cert));
    g_assert_nonnull(strstr(error->message, "certificate"));
    g_assert_false(g_file_test(cert, G_FILE_TEST_EXISTS));
    g_clear_error(&error);

    /* Certificate present, key missing: refused, naming the key. */
    g_autofree char *other_key = g_build_filename(f->dir, "other-key.pem", NULL);
    g_assert_cmpint(g_rename(key, cert), ==, 0); /* any file will do */
    g_assert_false(cg_first_start_certificate(cert, other_key, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INCOMPLETE);
    g_assert_nonnull(strstr(error->message, other_key));
    g_assert_nonnull(strstr(error->message, "private key"));
    g_assert_false(g_file_test(other_key, G_FILE_TEST_EXISTS));
}

static void test_certificate_unwritable(Fixture *f, gconstpointer data)
{
    (void)data;
    /* The parent "directory" is a regular file. */
    g_autofree char *blocker = g_build_filename(f->dir, "blocker", NULL);
    g_assert_true(g_file_set_contents(blocker, "x", 1, NULL));
    g_autofree char *cert = g_build_filename(blocker, "cert.pem", NULL);
    g_autofree char *key = g_build_filename(blocker, "key.pem", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_first_start_certificate(cert, key, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_IO);
}

static gboolean is_base64url(const char *s, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
            return FALSE;
    }
    return TRUE;
}

static void test_secret_created(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *path = g_build_filename(f->dir, "tenants", "demo.secret", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(cg_first_start_secret_file(path, 32, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(file_mode(path), ==, 0600);
    gsize len;
    g_autofree char *text = read_all(path, &len);
    g_assert_cmpuint(len, ==, 43 + 1); /* 32 bytes: 43 base64url chars, "\n" */
    g_assert_cmpint(text[43], ==, '\n');
    g_assert_true(is_base64url(text, 43));

    /* Present: kept as it is. */
    g_assert_true(cg_first_start_secret_file(path, 32, &error));
    g_assert_no_error(error);
    gsize len2;
    g_autofree char *text2 = read_all(path, &len2);
    g_assert_cmpmem(text, len, text2, len2);

    /* Read back without the newline. */
    g_autoptr(GBytes) secret = NULL;
    g_assert_true(cg_first_start_read_secret(path, &secret, &error));
    g_assert_no_error(error);
    gsize slen;
    const char *s = g_bytes_get_data(secret, &slen);
    g_assert_cmpmem(s, slen, text, 43);

    /* Other lengths: 1 byte -> 2 chars, 33 bytes -> 44 chars; all differ. */
    g_autofree char *p1 = g_build_filename(f->dir, "one", NULL);
    g_autofree char *p33 = g_build_filename(f->dir, "thirtythree", NULL);
    g_assert_true(cg_first_start_secret_file(p1, 1, &error));
    g_assert_true(cg_first_start_secret_file(p33, 33, &error));
    g_autofree char *t1 = read_all(p1, &len);
    g_assert_cmpuint(len, ==, 3);
    g_autofree char *t33 = read_all(p33, &len);
    g_assert_cmpuint(len, ==, 45);
    g_assert_true(is_base64url(t33, 44));
    g_assert_false(memcmp(t33, text, 43) == 0);
}

static void test_secret_shared_mode_warns(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *path = g_build_filename(f->dir, "shared.secret", NULL);
    g_assert_true(g_file_set_contents(path, "hunter2-but-longer\n", -1, NULL));
    g_assert_cmpint(g_chmod(path, 0644), ==, 0);

    char *buf = NULL;
    size_t size = 0;
    FILE *capture = open_memstream(&buf, &size);
    cg_log_init("warning");
    cg_log_set_stream(capture);
    g_autoptr(GError) error = NULL;
    gboolean kept = cg_first_start_secret_file(path, 32, &error);
    g_autoptr(GBytes) secret = NULL;
    gboolean read = cg_first_start_read_secret(path, &secret, &error);
    cg_log_set_stream(NULL);
    fclose(capture);

    g_assert_true(kept);
    g_assert_true(read);
    g_assert_no_error(error);
    /* One warning from each call, naming the file but not its contents. */
    g_auto(GStrv) lines = g_strsplit(buf, "\n", -1);
    free(buf);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    for (guint i = 0; i < 2; i++) {
        g_assert_nonnull(strstr(lines[i], "\"level\":\"warning\""));
        g_assert_nonnull(strstr(lines[i], "accessible by group or others"));
        g_assert_nonnull(strstr(lines[i], path));
        g_assert_null(strstr(lines[i], "hunter2"));
    }
    g_assert_cmpmem(g_bytes_get_data(secret, NULL), g_bytes_get_size(secret), "hunter2-but-longer",
                    18);
}

/* Writes @content (mode 0600) and reads it back as a secret. */
static gboolean read_secret_of(Fixture *f, const char *content, gssize len, GBytes **out,
                               GError **error)
{
    g_autofree char *path = g_build_filename(f->dir, "s", NULL);
    g_assert_true(
        g_file_set_contents_full(path, content, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
    return cg_first_start_read_secret(path, out, error);
}

static void test_read_secret_limits(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = NULL;

    g_assert_true(read_secret_of(f, "  s3cr3t \r\n\t \n", -1, &out, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(out, NULL), g_bytes_get_size(out), "  s3cr3t", 8);
    g_clear_pointer(&out, g_bytes_unref);

    g_assert_false(read_secret_of(f, "", 0, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_false(read_secret_of(f, " \n\n", -1, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(out);

    /* Exactly the limit passes; one byte more does not. */
    g_autofree char *max = g_strnfill(CG_FIRST_START_SECRET_MAX + 1, 'a');
    max[CG_FIRST_START_SECRET_MAX] = '\n';
    g_assert_true(read_secret_of(f, max, CG_FIRST_START_SECRET_MAX + 1, &out, &error));
    g_assert_cmpuint(g_bytes_get_size(out), ==, CG_FIRST_START_SECRET_MAX);
    g_clear_pointer(&out, g_bytes_unref);
    max[CG_FIRST_START_SECRET_MAX] = 'a';
    g_assert_false(read_secret_of(f, max, CG_FIRST_START_SECRET_MAX + 1, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID);
    g_clear_error(&error);

    g_autofree char *huge = g_strnfill(1 << 20, 'a');
    g_assert_false(read_secret_of(f, huge, -1, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID);
    g_clear_error(&error);

    g_autofree char *missing = g_build_filename(f->dir, "missing", NULL);
    g_assert_false(cg_first_start_read_secret(missing, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_IO);
    g_clear_error(&error);
    g_assert_false(cg_first_start_read_secret(f->dir, &out, &error));
    g_assert_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID);
    g_assert_null(out);
}

void cg_test_add_first_start_tests(void)
{
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/daemon/first-start/certificate-generated", test_certificate_generated);
    ADD("/daemon/first-start/certificate-kept", test_certificate_kept);
    ADD("/daemon/first-start/certificate-half-pair", test_certificate_half_pair);
    ADD("/daemon/first-start/certificate-unwritable", test_certificate_unwritable);
    ADD("/daemon/first-start/secret-created", test_secret_created);
    ADD("/daemon/first-start/secret-shared-mode-warns", test_secret_shared_mode_warns);
    ADD("/daemon/first-start/read-secret-limits", test_read_secret_limits);
#undef ADD
}
