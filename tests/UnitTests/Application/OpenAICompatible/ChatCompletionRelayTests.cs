using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.OpenAICompatible;
using Wrapper.Application.Quotas;
using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Application.OpenAICompatible;

public sealed class ChatCompletionRelayTests
{
    private static JsonObject Body(string json) => JsonNode.Parse(json)!.AsObject();

    [Test]
    public void ThePromptCountsTextPartsToolCallsAndToolDefinitions()
    {
        var request = new RelayChatCompletion(Body("""
            {"messages":[
              {"role":"developer","content":"Rules."},
              {"role":"user","content":[{"type":"text","text":"Look "},{"type":"text","text":"this up."}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"found"}],
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """), "m", OpenAIFace.V1);

        var prompt = request.Prompt(new ChatOptions());

        Assert.Multiple(() =>
        {
            Assert.That(prompt.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Assistant, ChatRole.System }));
            Assert.That(prompt[1].Content, Is.EqualTo("Look this up."));
            Assert.That(prompt[2].Content, Does.Contain("\"call_1\""));
            Assert.That(prompt[3].Content, Is.EqualTo("found"));
            Assert.That(prompt[4].Content, Does.Contain("\"function\""));
        });
    }

    [TestCase("""{"messages":[],"max_completion_tokens":100}""", 100)]
    [TestCase("""{"messages":[],"max_tokens":40}""", 40)]
    [TestCase("""{"messages":[],"max_completion_tokens":30,"max_tokens":999,"n":3}""", 90)]
    [TestCase("""{"messages":[]}""", null)]
    public void TheOutputLimitIsTheRequestsOwn(string json, int? expected) =>
        Assert.That(new StreamRelayedChatCompletion(Body(json), "m", OpenAIFace.V1).MaxOutputTokens, Is.EqualTo(expected));

    [TestCase("""{"model":"m"}""", "messages")]
    [TestCase("""{"model":"m","messages":[]}""", "messages")]
    [TestCase("""{"model":"m","messages":"hi"}""", "messages")]
    [TestCase("""{"model":"m","messages":[{"content":"hi"}]}""", "messages[0].role")]
    [TestCase("""{"model":"m","messages":[1]}""", "messages[0]")]
    [TestCase("""{"model":5,"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}],"n":1.5}""", "n")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}],"stream_options":true}""", "stream_options")]
    public void TheValidatorNamesTheField(string json, string field)
    {
        var result = new RelayChatCompletionValidator().Validate(new RelayChatCompletion(Body(json), "m", OpenAIFace.V1));

        Assert.That(result.Errors.Select(e => e.PropertyName), Is.EqualTo(new[] { field }));
    }

    [Test]
    public void TheValidatorLeavesEverythingElseToTheModelService()
    {
        var body = Body("""
            {"model":"m","messages":[{"role":"user","content":"hi"},{"role":"invented","content":{"odd":true}}],
             "tools":"not even an array","response_format":{"type":"json_schema"},"seed":1,"whatever":[1,2]}
            """);

        Assert.That(new StreamRelayedChatCompletionValidator().Validate(new StreamRelayedChatCompletion(body, "m", OpenAIFace.V1)).IsValid, Is.True);
    }

    [TestCase(OpenAIFace.V1, "model_not_found", "model")]
    [TestCase(OpenAIFace.AzureDeployment, "DeploymentNotFound", null)]
    public void AnUnknownModelIsNotFoundInTheFacesOwnWords(OpenAIFace face, string code, string? param)
    {
        var relay = new Mock<IChatCompletionRelay>();
        relay.Setup(r => r.Find(It.IsAny<string>())).Returns((ServedModel?)null);
        var handler = new RelayChatCompletionHandler(relay.Object);

        var ex = Assert.ThrowsAsync<ModelNotFoundException>(() => handler.Handle(new RelayChatCompletion(Body("""{"messages":[]}"""), "gpt-9", face), CancellationToken.None));

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Code, Is.EqualTo(code));
            Assert.That(ex.Param, Is.EqualTo(param));
            Assert.That(ex.Message, Does.Contain("gpt-9"));
            relay.Verify(r => r.CompleteAsync(It.IsAny<RelayCall>(), It.IsAny<CancellationToken>()), Times.Never);
        });
    }

    [Test]
    public void ARentedChunkIsACopyAndGoesBackToThePoolOnce()
    {
        var data = """{"choices":[{"delta":{"content":"Hi"}}]}"""u8.ToArray();
        var rented = RelayedChunk.Rented(data, hasOutput: true);
        data[2] = (byte)'X';

        Assert.Multiple(() =>
        {
            Assert.That(rented.Json.ToArray(), Is.EqualTo("""{"choices":[{"delta":{"content":"Hi"}}]}"""u8.ToArray()), "a copy of the event, its own length");
            Assert.That(rented.HasOutput, Is.True);
            Assert.That(() => { rented.Release(); rented.Release(); }, Throws.Nothing, "released at most once");
            Assert.That(() => new RelayedChunk("{}"u8.ToArray(), HasOutput: false).Release(), Throws.Nothing, "a chunk that was not rented has nothing to give back");
        });
    }

    [Test]
    public async Task AKnownModelIsRelayedToItsDeployment()
    {
        var served = new ServedModel("team", "gpt-4o-mini");
        var answer = new RelayedChatCompletion("{}"u8.ToArray(), "gpt-4o-mini", new TokenUsage(1, 2));
        var relay = new Mock<IChatCompletionRelay>();
        relay.Setup(r => r.Find("team")).Returns(served);
        relay.Setup(r => r.CompleteAsync(It.IsAny<RelayCall>(), It.IsAny<CancellationToken>())).ReturnsAsync(answer);
        var body = Body("""{"messages":[]}""");

        var result = await new RelayChatCompletionHandler(relay.Object).Handle(new RelayChatCompletion(body, "team", OpenAIFace.V1), CancellationToken.None);

        Assert.That(result, Is.SameAs(answer));
        relay.Verify(r => r.CompleteAsync(new RelayCall(body, served), It.IsAny<CancellationToken>()));
    }

    [Test]
    public async Task QuotasReserveMaxTokensAndCorrectAStreamOfRelayedChunksToItsUsage()
    {
        var quota = new Mock<IClientQuota>();
        QuotaRequest? requested = null;
        var corrections = new List<TokenUsage>();
        quota.Setup(q => q.ReserveAsync(It.IsAny<QuotaRequest>(), It.IsAny<CancellationToken>()))
            .Callback<QuotaRequest, CancellationToken>((r, _) => requested = r)
            .ReturnsAsync((QuotaRequest r, CancellationToken _) => new QuotaDecision(new QuotaReservation("r", "client:a", 1, "d", r.Tokens, "memory"), null, TimeSpan.Zero, null, 1, 1));
        quota.Setup(q => q.CorrectAsync(It.IsAny<QuotaReservation>(), It.IsAny<TokenUsage>()))
            .Callback<QuotaReservation, TokenUsage>((_, u) => corrections.Add(u)).Returns(ValueTask.CompletedTask);
        var tokens = new Mock<IPromptTokenCounter>();
        tokens.Setup(t => t.CountPrompt(It.IsAny<IReadOnlyList<ChatMessage>>())).Returns(12);
        var client = new Mock<ICurrentClient>();
        client.SetupGet(c => c.Partition).Returns("client:a");
        var options = new QuotaOptions { Default = new ClientLimitsOptions { TokensPerMinute = 10_000 } };
        var behaviour = new QuotaBehaviour<StreamRelayedChatCompletion, IAsyncEnumerable<ChatStreamUpdate>>(quota.Object, tokens.Object, client.Object,
            new QuotaStatus(), Options.Create(options), Options.Create(new ChatOptions()));
        var request = new StreamRelayedChatCompletion(Body("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":500}"""), "m", OpenAIFace.V1);

        var stream = await behaviour.Handle(request, CancellationToken.None, () => Task.FromResult(Updates()));
        var seen = new List<ChatStreamUpdate>();
        await foreach (var update in stream)
        {
            seen.Add(update);
        }

        Assert.Multiple(() =>
        {
            Assert.That(requested!.Tokens, Is.EqualTo(12 + 500));
            Assert.That(seen, Has.Count.EqualTo(3));
            Assert.That(corrections, Is.EqualTo(new[] { new TokenUsage(12, 9) }));
        });

        static async IAsyncEnumerable<ChatStreamUpdate> Updates()
        {
            await Task.Yield();
            yield return new RelayedChunk("{}"u8.ToArray(), HasOutput: true);
            yield return new RelayedChunk("{}"u8.ToArray(), HasOutput: false);
            yield return new ChatStreamCompleted("m", "stop", new TokenUsage(12, 9));
        }
    }
}
