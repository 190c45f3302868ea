// Tests of RpcServer's JSON-RPC 2.0 dispatch, without a socket (RpcServer::handle_request):
// single requests, batches, notifications, every error code, the built-in system.* methods, and
// what the RPC boundary does with JSON: duplicate keys and deep nesting are parse errors, replies
// keep the order handlers built, numbers keep their type, nothing a client sends makes it throw.
// The socket, its file and the serving loop are tests/unit/engine/control/rpc_server_test.cc.
#include "engine/control/rpc_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "tests/testing/rpc_methods.h"

namespace sipring {
namespace {

class RpcDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::add_test_methods(server_, &calls_);
    server_.add("ordered", "", "an object built z, a, m",
                [](const JsonValue&) -> Result<JsonValue> {
                  JsonValue r = JsonValue::object();
                  r["z"] = 1;
                  r["a"] = JsonValue::object({{"y", 2}, {"b", 3}});
                  r["m"] = "\xFF";  // invalid UTF-8 from a handler prints as U+FFFD
                  return r;
                });
  }

  // The parsed response to `request`, which must get one.
  JsonValue rpc(const std::string& request) {
    const std::string text = server_.handle_request(request);
    Result<JsonValue> r = parse_json(text);
    EXPECT_TRUE(r.is_ok()) << request << " -> " << text;
    return r.is_ok() ? r.value() : JsonValue();
  }

  static int64_t error_code(const JsonValue& response) {
    const JsonValue* error = json_member(response, "error");
    const JsonValue* code = error != nullptr ? json_member(*error, "code") : nullptr;
    if (code == nullptr || !code->is_number_integer()) {
      ADD_FAILURE() << "no error code in " << json_text(response);
      return 0;
    }
    return code->get<int64_t>();
  }

  static std::string error_message(const JsonValue& response) {
    const JsonValue* error = json_member(response, "error");
    const JsonValue* message = error != nullptr ? json_member(*error, "message") : nullptr;
    return message != nullptr && message->is_string() ? message->get<std::string>() : "";
  }

  RpcServer server_;
  std::atomic<int> calls_{0};
};

// --- the protocol --------------------------------------------------------------------------

TEST_F(RpcDispatchTest, SingleRequestGetsItsResultAndId) {
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":1})"),
            R"({"jsonrpc":"2.0","result":5,"id":1})");
  EXPECT_EQ(
      server_.handle_request(R"({"id":"x-7","method":"add","params":[40,2],"jsonrpc":"2.0"})"),
      R"({"jsonrpc":"2.0","result":42,"id":"x-7"})");
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"echo","id":null})"),
            R"({"jsonrpc":"2.0","result":[],"id":null})");
}

TEST_F(RpcDispatchTest, ObjectParamsReachTheHandlerUnchanged) {
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"echo","params":{"b":1,"a":[true]},"id":3})");
  EXPECT_EQ(json_text(r["result"]), R"({"b":1,"a":[true]})");
}

TEST_F(RpcDispatchTest, BatchGetsAnArrayOfResponsesWithoutTheNotifications) {
  JsonValue r = rpc(R"([{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"a"},)"
                    R"({"jsonrpc":"2.0","method":"count"},)"
                    R"({"jsonrpc":"2.0","method":"nope","id":"b"},)"
                    R"(17,)"
                    R"({"jsonrpc":"2.0","method":"boom","id":"c"}])");
  ASSERT_TRUE(r.is_array()) << json_text(r);
  ASSERT_EQ(r.size(), 4u) << json_text(r);
  EXPECT_EQ(json_text(r[0]), R"({"jsonrpc":"2.0","result":3,"id":"a"})");
  EXPECT_EQ(error_code(r[1]), kRpcMethodNotFound);
  EXPECT_EQ(r[1]["id"], "b");
  EXPECT_EQ(error_code(r[2]), kRpcInvalidRequest);
  EXPECT_TRUE(r[2]["id"].is_null());
  EXPECT_EQ(error_code(r[3]), 500);
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(RpcDispatchTest, NotificationsRunButGetNoResponse) {
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"count"})"), "");
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"no.such.method","params":[1]})"),
            "");
  EXPECT_EQ(server_.handle_request(
                R"([{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"count"}])"),
            "");
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"count","id":5})"),
            R"({"jsonrpc":"2.0","result":4,"id":5})");
}

TEST_F(RpcDispatchTest, ParseErrorNamesTheByteOffset) {
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"add",)");
  EXPECT_EQ(error_code(r), kRpcParseError);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_NE(error_message(r).find("parse error: invalid JSON at byte 32: "), std::string::npos)
      << error_message(r);
  EXPECT_EQ(error_code(rpc("not json")), kRpcParseError);
  EXPECT_EQ(error_code(rpc("")), kRpcParseError);
}

TEST_F(RpcDispatchTest, MalformedRequestsAreInvalidRequests) {
  const char* bad[] = {
      R"({"method":"add","id":1})",                     // no "jsonrpc"
      R"({"jsonrpc":"1.0","method":"add","id":1})",     // wrong version
      R"({"jsonrpc":2.0,"method":"add","id":1})",       // version not a string
      R"({"jsonrpc":"2.0","id":1})",                    // no method
      R"({"jsonrpc":"2.0","method":7,"id":1})",         // method not a string
      R"({"jsonrpc":"2.0","method":"add","id":[1]})",   // id not a scalar
      R"({"jsonrpc":"2.0","method":"add","id":{}})",    // id not a scalar
      R"({"jsonrpc":"2.0","method":"add","id":true})",  // id not a string or number
      R"("just a string")",
      R"(null)",
      R"([])",  // empty batch
  };
  for (const char* line : bad) {
    JsonValue r = rpc(line);
    EXPECT_EQ(error_code(r), kRpcInvalidRequest) << line << " -> " << json_text(r);
  }
  // The id is echoed when it was valid.
  EXPECT_EQ(rpc(R"({"jsonrpc":"1.0","method":"add","id":12})")["id"], 12);
}

TEST_F(RpcDispatchTest, UnknownMethodNamesItAndPointsToListMethods) {
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"cfg.nope","id":1})");
  EXPECT_EQ(error_code(r), kRpcMethodNotFound);
  EXPECT_NE(error_message(r).find("cfg.nope"), std::string::npos);
  EXPECT_NE(error_message(r).find("system.listMethods"), std::string::npos);
}

TEST_F(RpcDispatchTest, ParamsThatAreNotArrayOrObjectAreInvalidParams) {
  for (const char* params : {"5", "\"x\"", "true", "null"}) {
    JsonValue r =
        rpc(std::string(R"({"jsonrpc":"2.0","method":"add","id":1,"params":)") + params + "}");
    EXPECT_EQ(error_code(r), kRpcInvalidParams) << params;
  }
}

TEST_F(RpcDispatchTest, HandlerErrorsMapTo400404500AndBugsToInternalError) {
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"add","params":["x"],"id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_EQ(error_message(r), "add needs two integers");
  r = rpc(R"({"jsonrpc":"2.0","method":"cfg.bad","id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_EQ(error_message(r), "tls.method must be TLSv1.2+");
  r = rpc(R"({"jsonrpc":"2.0","method":"conn.get","params":[42],"id":1})");
  EXPECT_EQ(error_code(r), 404);
  EXPECT_EQ(error_message(r), "no connection 42");
  r = rpc(R"({"jsonrpc":"2.0","method":"boom","id":1})");
  EXPECT_EQ(error_code(r), 500);
  EXPECT_EQ(error_message(r), "disk on fire");
  r = rpc(R"({"jsonrpc":"2.0","method":"throws","id":1})");
  EXPECT_EQ(error_code(r), kRpcInternalError);
  EXPECT_NE(error_message(r).find("internal error in throws"), std::string::npos);
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":2})")["result"], 2);
}

TEST_F(RpcDispatchTest, ErrcMapping) {
  EXPECT_EQ(rpc_error_code(Errc::kInvalidArgument), 400);
  EXPECT_EQ(rpc_error_code(Errc::kConfig), 400);
  EXPECT_EQ(rpc_error_code(Errc::kUnknownConnection), 404);
  EXPECT_EQ(rpc_error_code(Errc::kIo), 500);
  EXPECT_EQ(rpc_error_code(Errc::kTls), 500);
  EXPECT_EQ(rpc_error_code(Errc::kShuttingDown), 500);
}

TEST_F(RpcDispatchTest, SystemListMethodsAndHelp) {
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"system.listMethods","id":1})");
  EXPECT_EQ(json_text(r["result"]),
            R"(["add","boom","cfg.bad","conn.get","count","echo","ordered","system.help",)"
            R"("system.listMethods","throws"])");
  EXPECT_EQ(
      error_code(rpc(R"({"jsonrpc":"2.0","method":"system.listMethods","params":[1],"id":1})")),
      400);
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":["add"],"id":1})");
  EXPECT_EQ(r["result"], "add A B\n    adds two integers");
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":{"method":"cfg.bad"},"id":1})");
  EXPECT_EQ(r["result"], "cfg.bad\n    a config error");
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":["nope"],"id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_NE(error_message(r).find("nope"), std::string::npos);
  for (const char* params :
       {"[]", "[1]", "[\"a\",\"b\"]", "{\"name\":\"add\"}", "{\"method\":1}"}) {
    r = rpc(std::string(R"({"jsonrpc":"2.0","method":"system.help","id":1,"params":)") + params +
            "}");
    EXPECT_EQ(error_code(r), 400) << params;
    EXPECT_NE(error_message(r).find("usage: system.help METHOD"), std::string::npos) << params;
  }
}

TEST_F(RpcDispatchTest, MethodsAddedLaterAreCallable) {
  server_.add("late", "", "added later", [](const JsonValue&) { return JsonValue("here"); });
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"late","id":1})")["result"], "here");
}

// --- JSON at the RPC boundary --------------------------------------------------------------

TEST_F(RpcDispatchTest, ARequestWithADuplicateKeyIsAParseError) {
  // Which "method" or "id" did the client mean? Refused, not guessed.
  for (const char* line : {R"({"jsonrpc":"2.0","method":"add","method":"boom","id":1})",
                           R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1,"id":2})",
                           R"({"jsonrpc":"2.0","method":"echo","params":{"a":1,"a":1},"id":1})",
                           R"([{"jsonrpc":"2.0","method":"count","jsonrpc":"2.0"}])"}) {
    JsonValue r = rpc(line);
    EXPECT_EQ(error_code(r), kRpcParseError) << line;
    EXPECT_TRUE(r["id"].is_null());
    EXPECT_NE(error_message(r).find("duplicate object key"), std::string::npos) << line;
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(RpcDispatchTest, NestingBeyondTheLimitIsAParseError) {
  const std::string ok = std::string(kJsonMaxDepth - 2, '[') + std::string(kJsonMaxDepth - 2, ']');
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"echo","id":1,"params":[)" + ok + "]}");
  EXPECT_NE(json_member(r, "result"), nullptr) << json_text(r);
  const std::string deep = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  r = rpc(R"({"jsonrpc":"2.0","method":"echo","id":1,"params":)" + deep + "}");
  EXPECT_EQ(error_code(r), kRpcParseError);
  EXPECT_NE(error_message(r).find("nesting deeper than 64 arrays/objects"), std::string::npos)
      << error_message(r);
}

TEST_F(RpcDispatchTest, RequestsLargerThanTheLimitAreParseErrors) {
  RpcServerOptions options;
  options.max_request_bytes = 64;
  RpcServer small(options);
  const std::string text = small.handle_request(
      R"({"jsonrpc":"2.0","method":"system.listMethods","id":1,"params":[]}   )");
  EXPECT_NE(text.find("-32700"), std::string::npos) << text;
  EXPECT_NE(text.find("exceed the limit of 64"), std::string::npos) << text;
}

TEST_F(RpcDispatchTest, RepliesKeepTheOrderTheHandlerBuiltAndStayValidUtf8) {
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"ordered","id":1})"),
            "{\"jsonrpc\":\"2.0\",\"result\":{\"z\":1,\"a\":{\"y\":2,\"b\":3},"
            "\"m\":\"\xEF\xBF\xBD\"},\"id\":1}");
}

TEST_F(RpcDispatchTest, NumbersKeepTheirTypeAndValue) {
  EXPECT_EQ(server_.handle_request(R"({"jsonrpc":"2.0","method":"echo","id":18446744073709551615,)"
                                   R"("params":[-9223372036854775808,1.5,2.0,1e+300,0]})"),
            R"({"jsonrpc":"2.0","result":[-9223372036854775808,1.5,2.0,1e+300,0],)"
            R"("id":18446744073709551615})");
  // A fraction is not an integer for a handler that wants one.
  EXPECT_EQ(error_code(rpc(R"({"jsonrpc":"2.0","method":"add","params":[1.0,2],"id":1})")), 400);
  EXPECT_EQ(error_code(rpc(R"({"jsonrpc":"2.0","method":"echo","params":[1e999],"id":1})")),
            kRpcParseError);
}

TEST_F(RpcDispatchTest, InvalidUtf8InARequestIsAParseError) {
  JsonValue r = rpc("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"\xC3\x28\"],\"id\":1}");
  EXPECT_EQ(error_code(r), kRpcParseError);
  EXPECT_NE(error_message(r).find("ill-formed UTF-8"), std::string::npos) << error_message(r);
}

}  // namespace
}  // namespace sipring
