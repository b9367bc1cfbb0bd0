// CAres: c-ares for Swift. Only the header; HTTPQClient's AresResolver is its one user.
#ifndef CARES_SHIM_H
#define CARES_SHIM_H
#include <ares.h>
#include <sys/time.h>
#endif
