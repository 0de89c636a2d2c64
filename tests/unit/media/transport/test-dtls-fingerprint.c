/* test-dtls-fingerprint.c — a certificate generated here is matched against
 * its own fingerprint in every hash the SDP may name, and refused otherwise. */
#include "dtls_fingerprint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

static char *make_cert_pem(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    g_assert_cmpint(X509_sign(x, key, EVP_sha256()), >, 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = g_strndup(data, (gsize)n);
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(key);
    return pem;
}

static void test_matches(void)
{
    g_autofree char *pem = make_cert_pem();
    const char *hashes[] = {"sha-1", "sha-256", "sha-384", "sha-512"};
    const gsize lens[] = {20, 32, 48, 64};
    for (guint i = 0; i < G_N_ELEMENTS(hashes); i++) {
        g_autofree char *fp = cg_dtls_fingerprint_of_pem(hashes[i], pem);
        g_assert_nonnull(fp);
        g_assert_cmpuint(strlen(fp), ==, lens[i] * 3 - 1);
        g_assert_true(cg_dtls_fingerprint_matches(hashes[i], fp, pem));
        g_autofree char *lower = g_ascii_strdown(fp, -1);
        g_assert_true(cg_dtls_fingerprint_matches(hashes[i], lower, pem));
        fp[0] = fp[0] == '0' ? '1' : '0';
        g_assert_false(cg_dtls_fingerprint_matches(hashes[i], fp, pem));
    }
}

static void test_refused(void)
{
    g_autofree char *pem = make_cert_pem();
    g_autofree char *other = make_cert_pem();
    g_autofree char *fp = cg_dtls_fingerprint_of_pem("sha-256", pem);
    g_assert_false(cg_dtls_fingerprint_matches("sha-256", fp, other));
    g_assert_false(cg_dtls_fingerprint_matches("sha-256", fp, NULL));
    g_assert_false(cg_dtls_fingerprint_matches("sha-256", fp, ""));
    g_assert_false(cg_dtls_fingerprint_matches("sha-256", fp, "-----BEGIN CERTIFICATE-----\nxx"));
    g_assert_false(cg_dtls_fingerprint_matches("md5", fp, pem));
    g_assert_false(cg_dtls_fingerprint_matches("sha-256", NULL, pem));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dtls-fingerprint/matches", test_matches);
    g_test_add_func("/dtls-fingerprint/refused", test_refused);
    return g_test_run();
}
