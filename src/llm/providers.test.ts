import { createAnthropicModel } from "./anthropic.js";
import { createOpenAIModel } from "./openai.js";
import { startAnthropicServer } from "./testing/anthropic-server.js";
import { startOpenAIServer } from "./testing/openai-server.js";
import { runProviderSuite } from "./testing/provider-suite.js";

// The same wire cases against every provider, each through its real SDK over real HTTP.
runProviderSuite({
  name: "openai",
  nativeN: true,
  startServer: startOpenAIServer,
  makeModel: (url, runtime) => createOpenAIModel({ model: "gpt-4o", apiKey: "sk-test-openai-key-0123456789", baseURL: url, runtime }),
});

runProviderSuite({
  name: "anthropic",
  nativeN: false,
  startServer: startAnthropicServer,
  makeModel: (url, runtime) => createAnthropicModel({ model: "claude-opus-4-5", apiKey: "sk-ant-test-key-0123456789", baseURL: url, runtime }),
});

runProviderSuite({
  name: "openai-compatible",
  nativeN: true,
  startServer: startOpenAIServer,
  makeModel: (url, runtime) => createOpenAIModel({ model: "llama3.1:8b", apiKey: "not-needed", baseURL: url, flavor: "openai-compatible", runtime }),
});
