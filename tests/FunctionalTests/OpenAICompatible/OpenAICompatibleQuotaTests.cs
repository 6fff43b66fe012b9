using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Wrapper.FunctionalTests.Security;

namespace Wrapper.FunctionalTests.OpenAICompatible;

/// <summary>The per-client quotas on the OpenAI-compatible routes (embedded simulator, counters in memory): the request's
/// own <c>max_tokens</c> is reserved, and the reservation is corrected to the usage the model reported, for a stream too
/// (its usage chunk, which the service asks for).</summary>
[TestFixture]
[NonParallelizable]
public sealed class OpenAICompatibleQuotaTests
{
    private const int TokensPerMinute = 3000;
    private const string Messages = """[{"role":"user","content":"Count my tokens, please."}]""";

    private static async Task<SecuredApiFactory> StartAsync()
    {
        var settings = SecuredApiFactory.WithKeys();
        settings["RateLimiting:PermitLimit"] = "0";
        settings["Quotas:Default:TokensPerMinute"] = TokensPerMinute.ToString(CultureInfo.InvariantCulture);
        var factory = new SecuredApiFactory(settings);
        using var client = factory.CreateClient();
        using var _ = await client.GetAsync("/health/live");
        // Every request of a test must fall in one minute window.
        var second = DateTime.UtcNow.Second;
        if (second >= 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - second));
        }

        return factory;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("api-key", SecuredApiFactory.BobKey);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static long Remaining(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("x-ratelimit-remaining-tokens").Single(), CultureInfo.InvariantCulture);

    [Test]
    public async Task AMaxTokensOverWhatIsLeftIsRefusedBeforeTheModelIsCalled()
    {
        await using var factory = await StartAsync();
        using var client = factory.CreateClient();

        // A request larger than the whole limit is admitted into an empty minute (so that it is not refused for ever):
        // the minute gets a first small request.
        using var small = await PostAsync(client, $$"""{"model":"gpt-4o-mini","messages":{{Messages}},"max_tokens":10}""");
        using var response = await PostAsync(client, $$"""{"model":"gpt-4o-mini","messages":{{Messages}},"max_completion_tokens":{{TokensPerMinute}}}""");
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        using var usual = await PostAsync(client, $$"""{"model":"gpt-4o-mini","messages":{{Messages}}}""");

        Assert.Multiple(() =>
        {
            Assert.That(small.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(usual.StatusCode, Is.EqualTo(HttpStatusCode.OK), "without max tokens the configured estimate is reserved");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("client_token_limit"));
            Assert.That(error.GetProperty("type").GetString(), Is.EqualTo("tokens"));
            Assert.That(response.Headers.GetValues("X-Wrapper-Refusal").Single(), Is.EqualTo("client"));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
            Assert.That(response.Headers.GetValues("retry-after-ms").Single(), Does.EndWith("000"));
        });
    }

    [Test]
    public async Task ReservationsAreCorrectedToTheReportedUsagePlainAndStreamed()
    {
        await using var factory = await StartAsync();
        using var client = factory.CreateClient();
        var ask = $$"""{"model":"gpt-4o-mini","messages":{{Messages}},"max_tokens":50}""";

        using var first = await PostAsync(client, ask);
        var firstUsage = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64();
        using var streamed = await PostAsync(client, $$"""{"model":"gpt-4o-mini","messages":{{Messages}},"max_tokens":50,"stream":true}""");
        var streamText = await streamed.Content.ReadAsStringAsync();
        var usageChunk = streamText.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).Last(c => c.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object);
        var streamUsage = usageChunk.GetProperty("usage").GetProperty("total_tokens").GetInt64();
        using var third = await PostAsync(client, ask);

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(streamed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            // Each request's header shows what is left after its own reservation (prompt + max_tokens); the difference
            // between two requests with the same reservation is exactly the real usage of the one in between.
            Assert.That(Remaining(first) - Remaining(streamed), Is.EqualTo(firstUsage), "the plain answer's usage");
            Assert.That(Remaining(streamed) - Remaining(third), Is.EqualTo(streamUsage), "the stream's usage chunk");
            Assert.That(TokensPerMinute - Remaining(first), Is.GreaterThanOrEqualTo(50), "max_tokens was reserved");
        });
    }
}
