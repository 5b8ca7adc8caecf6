// KORA_EXPORT marks the classes and functions of the embedding API that the shared library
// (libkora.so) exports; everything else in it stays hidden (see src/embed/kora.map).
#pragma once

#if defined(_WIN32)
#define KORA_EXPORT
#else
#define KORA_EXPORT __attribute__((visibility("default")))
#endif
