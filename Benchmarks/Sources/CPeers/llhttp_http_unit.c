// One translation unit of llhttp, from the sources Debian ships in node-llhttp.
#include </usr/share/llhttp/http.c>
