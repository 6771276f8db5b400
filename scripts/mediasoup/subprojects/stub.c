/* An empty translation unit: the worker's meson.build link_whole()s each subproject's static
 * library; our stubs link the system library through their dependency instead, so the static
 * library they hand over carries nothing. */
typedef int cchub_mediasoup_stub;
