/* dtls_fingerprint.c — see dtls_fingerprint.h. */
#include "dtls_fingerprint.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const EVP_MD *digest_for(const char *hash_func)
{
    if (!hash_func)
        return NULL;
    if (g_ascii_strcasecmp(hash_func, "sha-1") == 0)
        return EVP_sha1();
    if (g_ascii_strcasecmp(hash_func, "sha-256") == 0)
        return EVP_sha256();
    if (g_ascii_strcasecmp(hash_func, "sha-384") == 0)
        return EVP_sha384();
    if (g_ascii_strcasecmp(hash_func, "sha-512") == 0)
        return EVP_sha512();
    return NULL;
}

char *cg_dtls_fingerprint_of_pem(const char *hash_func, const char *pem)
{
    const EVP_MD *md = digest_for(hash_func);
    if (!md || !pem || !*pem)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!bio)
        return NULL;
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!cert)
        return NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    /* X509_digest hashes the DER encoding, as RFC 8122 asks */
    int ok = X509_digest(cert, md, digest, &n);
    X509_free(cert);
    if (!ok || n == 0)
        return NULL;
    GString *s = g_string_sized_new(n * 3);
    for (unsigned int i = 0; i < n; i++)
        g_string_append_printf(s, i ? ":%02X" : "%02X", digest[i]);
    return g_string_free(s, FALSE);
}

gboolean cg_dtls_fingerprint_matches(const char *hash_func, const char *expected, const char *pem)
{
    g_autofree char *actual = cg_dtls_fingerprint_of_pem(hash_func, pem);
    return actual && expected && g_ascii_strcasecmp(actual, expected) == 0;
}
