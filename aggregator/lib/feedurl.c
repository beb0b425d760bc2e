#include "feedurl.h"

#include <curl/curl.h>
#include <string.h>

#include "bounds.h"

bool feed_url_valid(const char *url) {
  if (strlen(url) > BRAID_FETCH_MAX_URL_BYTES)
    return false;
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f)
      return false;
  CURLU *u = curl_url();
  if (!u)
    return false;
  bool ok = false;
  char *scheme = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
    ok = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
         strcmp(scheme, "file") == 0;
  curl_free(scheme);
  curl_url_cleanup(u);
  return ok;
}
