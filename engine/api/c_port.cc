// The inline core's sipring_port: the reactor's ReactorPort with C arguments, valid only while
// sipring_options.core runs on that reactor's thread (c_engine.cc's CCore sets it).
#include "engine/api/c_abi.h"

using namespace sipring;

extern "C" {

uint32_t sipring_port_reactor(const sipring_port* port) {
  return port != nullptr ? port->port->index() : 0;
}

uint64_t sipring_port_now_ns(const sipring_port* port) {
  return port != nullptr ? port->port->now_ns() : 0;
}

int sipring_port_front(sipring_port* port, sipring_frame* out) {
  if (port == nullptr || out == nullptr) return 0;
  const Frame* f = port->port->front();
  if (f == nullptr) return 0;
  capi::to_c_frame(*f, out);
  return 1;
}

void sipring_port_pop(sipring_port* port) {
  if (port == nullptr) return;
  // A pop without a frame would run the ring's read position past what was produced.
  if (port->port->front() != nullptr) port->port->pop();
}

int sipring_port_send(sipring_port* port, sipring_conn conn, const void* data, size_t size) {
  if (port == nullptr || (data == nullptr && size > 0)) return SIPRING_ERR_INVALID_ARGUMENT;
  return capi::status_of(port->port->send(ConnId(conn), capi::bytes_of(data, size)));
}

int sipring_port_send_to(sipring_port* port, const sipring_destination* to, const void* data,
                         size_t size, sipring_conn* out_conn) {
  if (out_conn != nullptr) *out_conn = 0;
  if (port == nullptr || (data == nullptr && size > 0)) return SIPRING_ERR_INVALID_ARGUMENT;
  return capi::guarded("sipring_port_send_to", nullptr, 0, int{SIPRING_ERR_INTERNAL}, [&] {
    Destination d;
    if (int s = capi::to_destination_logged("sipring_port_send_to", to, &d); s != SIPRING_OK)
      return s;
    Result<ConnId> id = port->port->send_to(d, capi::bytes_of(data, size));
    if (!id) return capi::status_of(id.error().code);
    if (out_conn != nullptr) *out_conn = id->raw();
    return int{SIPRING_OK};
  });
}

void sipring_port_close(sipring_port* port, sipring_conn conn) {
  if (port != nullptr) port->port->close(ConnId(conn));
}

}  // extern "C"
