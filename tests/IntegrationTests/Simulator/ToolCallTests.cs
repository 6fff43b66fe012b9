using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Wrapper.IntegrationTests.Simulator.SimulatorHttp;

namespace Wrapper.IntegrationTests.Simulator;

/// <summary>Function calling in the simulator, on Azure's wire (inference spec 2024-10-21: chatCompletionResponseMessage,
/// chatCompletionMessageToolCall, chatCompletionMessageToolCallChunk): a request that offers tools is answered with a
/// tool call (finish_reason tool_calls, content null), and a conversation that ends with the tool's result is answered
/// in text; plain and streamed.</summary>
[TestFixture]
public sealed class ToolCallTests : SimulatorFixture
{
    private static JsonObject WeatherTool() => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = "get_weather",
            ["description"] = "The weather in a city.",
            ["parameters"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["city"] = new JsonObject { ["type"] = "string" },
                    ["unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("celsius", "fahrenheit") },
                    ["days"] = new JsonObject { ["type"] = "integer" },
                },
                ["required"] = new JsonArray("city"),
            },
        },
    };

    private static JsonObject AskWithTools()
    {
        var body = Body("Weather in Paris?");
        body["tools"] = new JsonArray(WeatherTool());
        return body;
    }

    [Test]
    public async Task ShouldCallTheOfferedFunction()
    {
        using var response = await PostChatAsync(Client, AskWithTools());
        var body = await ReadJsonAsync(response);
        var choice = body.GetProperty("choices")[0];
        var message = choice.GetProperty("message");
        var call = message.GetProperty("tool_calls")[0];
        var arguments = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement;

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("tool_calls"));
            Assert.That(message.GetProperty("role").GetString(), Is.EqualTo("assistant"));
            Assert.That(message.GetProperty("content").ValueKind, Is.EqualTo(JsonValueKind.Null), "content is required and null");
            Assert.That(message.GetProperty("refusal").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(call.GetProperty("id").GetString(), Does.StartWith("call_"));
            Assert.That(call.GetProperty("type").GetString(), Is.EqualTo("function"));
            Assert.That(call.GetProperty("function").GetProperty("name").GetString(), Is.EqualTo("get_weather"));
            Assert.That(arguments.GetProperty("city").GetString(), Is.EqualTo("Weather in Paris?"));
            Assert.That(arguments.GetProperty("unit").GetString(), Is.EqualTo("celsius"));
            Assert.That(arguments.GetProperty("days").GetInt32(), Is.EqualTo(1));
            Assert.That(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task ShouldAnswerTheToolsResultInText()
    {
        var body = AskWithTools();
        var messages = (JsonArray)body["messages"]!;
        messages.Add(new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = null,
            ["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = """{"city":"Paris"}""" },
            }),
        });
        messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = "18 degrees and sunny" });

        using var response = await PostChatAsync(Client, body);
        var answer = await ReadJsonAsync(response);
        var choice = answer.GetProperty("choices")[0];

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(choice.GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
            Assert.That(choice.GetProperty("message").GetProperty("content").GetString(), Does.Contain("18 degrees and sunny"));
            Assert.That(choice.GetProperty("message").TryGetProperty("tool_calls", out _), Is.False);
        });
    }

    [Test]
    public async Task ShouldNotCallAFunctionWhenToolChoiceIsNone()
    {
        var body = AskWithTools();
        body["tool_choice"] = "none";

        using var response = await PostChatAsync(Client, body);
        var answer = await ReadJsonAsync(response);

        Assert.That(answer.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("stop"));
    }

    [Test]
    public async Task ShouldRefuseAToolMessageWithoutItsCallId()
    {
        var body = Body("hi");
        ((JsonArray)body["messages"]!).Add(new JsonObject { ["role"] = "tool", ["content"] = "result" });

        using var response = await PostChatAsync(Client, body);
        var error = (await ReadJsonAsync(response)).GetProperty("error");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("missing_required_parameter"));
            Assert.That(error.GetProperty("param").GetString(), Is.EqualTo("messages[1].tool_call_id"));
        });
    }

    [Test]
    public async Task ShouldStreamToolCallDeltas()
    {
        var body = AskWithTools();
        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        using var response = await PostChatAsync(Client, body);
        var text = await response.Content.ReadAsStringAsync();
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var chunks = events.Where(e => e != "data: [DONE]").Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone()).ToList();
        var withChoices = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).ToList();
        var first = withChoices[0].GetProperty("choices")[0].GetProperty("delta");
        var opening = first.GetProperty("tool_calls")[0];
        var argumentChunks = withChoices.Skip(1).Where(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("tool_calls", out _)).ToList();
        var arguments = string.Concat(argumentChunks.Select(c =>
            c.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(events[^1], Is.EqualTo("data: [DONE]"));
            Assert.That(first.GetProperty("role").GetString(), Is.EqualTo("assistant"));
            Assert.That(opening.GetProperty("index").GetInt32(), Is.Zero);
            Assert.That(opening.GetProperty("id").GetString(), Does.StartWith("call_"));
            Assert.That(opening.GetProperty("type").GetString(), Is.EqualTo("function"));
            Assert.That(opening.GetProperty("function").GetProperty("name").GetString(), Is.EqualTo("get_weather"));
            Assert.That(opening.GetProperty("function").GetProperty("arguments").GetString(), Is.Empty);
            Assert.That(argumentChunks, Has.Count.GreaterThan(1), "the arguments come in pieces");
            Assert.That(argumentChunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].TryGetProperty("id", out _)),
                Is.All.False, "only the opening chunk names the call");
            Assert.That(JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString(), Is.EqualTo("Weather in Paris?"));
            Assert.That(withChoices[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("tool_calls"));
            Assert.That(chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.GreaterThan(0));
        });
    }
}
