// Sending, connecting, closing and RFC 5923 aliases from any thread: the Engine's calls with C
// arguments. sipring_send is the per-message path: one check, one call, one status mapping.
#include "engine/api/c_abi.h"

using namespace sipring;

extern "C" {

int sipring_send(sipring_engine* e, sipring_conn conn, const void* data, size_t size) {
  if (e == nullptr || (data == nullptr && size > 0)) return SIPRING_ERR_INVALID_ARGUMENT;
  return capi::status_of(e->engine->send(ConnId(conn), capi::bytes_of(data, size)));
}

int sipring_send_to(sipring_engine* e, const sipring_destination* to, const void* data, size_t size,
                    sipring_conn* out_conn) {
  if (out_conn != nullptr) *out_conn = 0;
  if (e == nullptr || (data == nullptr && size > 0)) return SIPRING_ERR_INVALID_ARGUMENT;
  return capi::guarded("sipring_send_to", nullptr, 0, int{SIPRING_ERR_INTERNAL}, [&] {
    Destination d;
    if (int s = capi::to_destination_logged("sipring_send_to", to, &d); s != SIPRING_OK) return s;
    return capi::status_of(e->engine->send_to(d, capi::bytes_of(data, size)));
  });
}

int sipring_connect(sipring_engine* e, const sipring_destination* to, sipring_conn* out_conn,
                    char* err, size_t err_size) {
  if (out_conn != nullptr) *out_conn = 0;
  return capi::guarded("sipring_connect", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr || out_conn == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_connect: e and out_conn must not be NULL");
    }
    Destination d;
    if (Status s = capi::to_destination(to, &d); !s) return capi::fail(err, err_size, s.error());
    Result<ConnId> id = e->engine->connect(d);
    if (!id) return capi::fail(err, err_size, id.error());
    *out_conn = id->raw();
    return int{SIPRING_OK};
  });
}

int sipring_close(sipring_engine* e, sipring_conn conn) {
  if (e == nullptr) return SIPRING_ERR_INVALID_ARGUMENT;
  return capi::guarded("sipring_close", nullptr, 0, int{SIPRING_ERR_INTERNAL}, [&] {
    return capi::status_of(e->engine->close_connection(ConnId(conn)).code());
  });
}

int sipring_add_alias(sipring_engine* e, sipring_conn conn, const sipring_destination* to,
                      char* err, size_t err_size) {
  return capi::guarded("sipring_add_alias", err, err_size, int{SIPRING_ERR_INTERNAL}, [&] {
    if (e == nullptr) {
      return capi::fail(err, err_size, SIPRING_ERR_INVALID_ARGUMENT,
                        "sipring_add_alias: e is NULL");
    }
    Destination d;
    if (Status s = capi::to_destination(to, &d); !s) return capi::fail(err, err_size, s.error());
    Status s = e->engine->add_alias(ConnId(conn), d);
    return s ? int{SIPRING_OK} : capi::fail(err, err_size, s.error());
  });
}

}  // extern "C"
