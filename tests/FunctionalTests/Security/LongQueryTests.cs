using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Wrapper.Api.Simulation;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

/// <summary>
/// The documented 32,000-character query (<c>Chat:MaxMessageLength</c>) fits in Kestrel's request line however it is
/// written (a CJK character percent-encodes to 9 bytes: 288 KB), and one character more is the documented 400
/// ProblemDetails, not a bare 414. Over real HTTP on Kestrel (127.0.0.1, a free port): the test server does not
/// enforce the request-line limit.
/// </summary>
public sealed class LongQueryTests
{
    private const string Cjk = "你"; // %E4%BD%A0: the longest encoding of one UTF-16 character

    [Test]
    public async Task TheLongestAcceptedQueryShouldBeAnsweredAndOneMoreCharacterRejectedWithAProblem()
    {
        await using var api = new KestrelApiFactory();
        using var client = api.CreateClient();

        using var longest = await client.GetAsync("/completion?query=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat(Cjk, 32_000))));
        using var tooLong = await client.GetAsync("/completion?query=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat(Cjk, 32_001))));
        using var grounding = await client.PostAsync("/bing-grounding?query=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat("😀", 16_000))), null);

        Assert.Multiple(async () =>
        {
            Assert.That(longest.StatusCode, Is.EqualTo(HttpStatusCode.OK), await longest.Content.ReadAsStringAsync());
            Assert.That(grounding.StatusCode, Is.EqualTo(HttpStatusCode.OK), await grounding.Content.ReadAsStringAsync());
            var problem = await tooLong.AssertProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.That(problem.GetProperty("errors").GetProperty("query")[0].GetString(), Does.Contain("32000"));
        });
    }

    [Test]
    public async Task TheRequestLineShouldFollowAConfiguredLongerLimit()
    {
        await using var api = new KestrelApiFactory(("Chat:MaxMessageLength", "50000"));
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/completion?query=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat(Cjk, 50_000))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    /// <summary>The embedded-simulator API on Kestrel at 127.0.0.1 on a free port.</summary>
    private sealed class KestrelApiFactory : WebApplicationFactory<Program>
    {
        private readonly (string Key, string Value)[] _settings;

        public KestrelApiFactory(params (string Key, string Value)[] settings)
        {
            _settings = settings;
            UseKestrel();
            StartServer();
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting(EmbeddedSimulator.AllowKey, "true");
            builder.UseSetting("OPENAI_ENDPOINT", string.Empty);
            builder.UseSetting("OPENAI_API_KEY", string.Empty);
            builder.UseSetting("OPENAI_SIMULATED", string.Empty);
            builder.UseSetting("AZURE_AI_PROJECT_ENDPOINT", string.Empty);
            builder.UseSetting("API_KEYS", string.Empty);
            builder.UseSetting("SIMULATOR_LATENCY_PER_TOKEN_MS", "0");
            builder.UseSetting("AgentService:FirstPollDelayMs", "5");
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
