using System.Net.Http.Headers;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Health;

namespace Wrapper.EndToEndTests.Gateway;

[TestFixture]
public sealed class ConfigurationTests
{
    private static GatewayOptions Valid() => new()
    {
        Backends = [new BackendOptions { Name = "api-1", Address = "http://127.0.0.1:8001/" }],
    };

    [Test]
    public void ShouldAcceptTheDefaultsWithOneBackend() =>
        Assert.That(GatewayOptionsValidator.Validate(Valid()), Is.Empty);

    [Test]
    public void ShouldRequireABackend()
    {
        var errors = GatewayOptionsValidator.Validate(new GatewayOptions());
        Assert.That(errors.Single(), Does.Contain("Gateway:Backends is empty"));
    }

    [Test]
    public void ShouldListEveryProblem()
    {
        var options = Valid();
        options.Backends.Add(new BackendOptions { Name = "API-1", Address = "http://127.0.0.1:8002/" });
        options.Backends.Add(new BackendOptions { Name = "bad name", Address = "ftp://x/" });
        options.Backends.Add(new BackendOptions { Name = "api-4", Address = "http://127.0.0.1:8004/?q=1" });
        options.PassiveHealth.UnhealthyStatusCodes = "500-4xx";
        options.ActiveHealth.Interval = TimeSpan.Zero;
        options.ActiveHealth.Path = "health";
        options.Affinity.CookieName = "bad cookie";

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.That(errors, Has.Some.Contains("'API-1' is used twice"));
        Assert.That(errors, Has.Some.Contains("'bad name' must be"));
        Assert.That(errors, Has.Some.Contains("'ftp://x/' must be an absolute http"));
        Assert.That(errors, Has.Some.Contains("?q=1"));
        Assert.That(errors, Has.Some.Contains("UnhealthyStatusCodes"));
        Assert.That(errors, Has.Some.Contains("Interval must be positive"));
        Assert.That(errors, Has.Some.Contains("must start with '/'"));
        Assert.That(errors, Has.Some.Contains("CookieName"));
        Assert.That(errors, Has.Count.EqualTo(8));
    }

    [Test]
    public void ShouldRefuseToStartWithoutBackends()
    {
        var builder = Wrapper.Gateway.GatewayApp.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        var ex = Assert.Throws<Wrapper.Gateway.GatewayConfigurationException>(() => Wrapper.Gateway.GatewayApp.Build(builder));
        Assert.That(ex!.Message, Does.Contain("Gateway__Backends__0__Name"));
    }

    [TestCase("401,429,500-599", new[] { 401, 429, 500, 503, 599 }, new[] { 200, 400, 404, 428, 600 })]
    [TestCase(" 503 ", new[] { 503 }, new[] { 500, 502 })]
    [TestCase("", new int[0], new[] { 500 })]
    public void ShouldParseStatusCodeLists(string text, int[] inside, int[] outside)
    {
        var set = StatusCodeSet.Parse(text);
        Assert.That(inside.Select(set.Contains), Is.All.True);
        Assert.That(outside.Select(set.Contains), Is.All.False);
    }

    [TestCase("abc")]
    [TestCase("599-500")]
    [TestCase("99")]
    [TestCase("500-600")]
    [TestCase("1-2-3")]
    public void ShouldRejectMalformedStatusCodeLists(string text) =>
        Assert.That(StatusCodeSet.TryParse(text, out _), Is.False);

    [Test]
    public void ShouldReadRetryAfterInSecondsAsADateAndInMilliseconds()
    {
        var now = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.That(RetryAfter.From(new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), now), Is.EqualTo(TimeSpan.FromSeconds(7)));
        Assert.That(RetryAfter.From(new RetryConditionHeaderValue(now.AddSeconds(30)), now), Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(RetryAfter.From(new RetryConditionHeaderValue(now.AddSeconds(-5)), now), Is.Null, "a date in the past");
        Assert.That(RetryAfter.From(new RetryConditionHeaderValue(TimeSpan.Zero), now), Is.Null);
        Assert.That(RetryAfter.From((RetryConditionHeaderValue?)null, now), Is.Null);

        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(2));
        response.Headers.TryAddWithoutValidation("retry-after-ms", "1500");
        Assert.That(RetryAfter.From(response, now), Is.EqualTo(TimeSpan.FromMilliseconds(1500)), "the precise form wins");

        Assert.That(RetryAfter.ToHeaderValue(TimeSpan.FromMilliseconds(1200)), Is.EqualTo("2"));
        Assert.That(RetryAfter.ToHeaderValue(TimeSpan.FromMilliseconds(10)), Is.EqualTo("1"));
    }
}
