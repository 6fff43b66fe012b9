using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.Upstream;

namespace Wrapper.IntegrationTests.Upstream;

/// <summary>The one Retry-After parser (src/Shared/RetryAfter.cs) and the one status map
/// (<see cref="UpstreamStatusMap"/>), shared by Azure OpenAI, the Agent Service and the gateway.</summary>
[TestFixture]
public sealed class UpstreamFailureRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static TimeSpan? Read(params (string Name, string Value)[] headers) =>
        RetryAfter.Read(headers, static (h, name) => h.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase)).Value, Now);

    [Test]
    public void ThePreciseFormWinsThenSecondsThenAnHttpDate()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Read(("retry-after", "9"), ("retry-after-ms", "1500")), Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
            Assert.That(Read(("retry-after", "9"), ("x-ms-retry-after-ms", "250")), Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(Read(("retry-after", " 9 ")), Is.EqualTo(TimeSpan.FromSeconds(9)));
            Assert.That(Read(("retry-after", Now.AddSeconds(42).ToString("r", System.Globalization.CultureInfo.InvariantCulture))),
                Is.EqualTo(TimeSpan.FromSeconds(42)));
            Assert.That(Read(("retry-after-ms", "soon"), ("retry-after", "3")), Is.EqualTo(TimeSpan.FromSeconds(3)), "an unreadable precise form is skipped");
        });
    }

    [Test]
    public void EveryWaitIsCappedAtOneDay()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Read(("retry-after", "999999999")), Is.EqualTo(TimeSpan.FromDays(1)));
            Assert.That(Read(("retry-after-ms", "1e300")), Is.EqualTo(TimeSpan.FromDays(1)));
            Assert.That(Read(("retry-after", Now.AddDays(30).ToString("r", System.Globalization.CultureInfo.InvariantCulture))), Is.EqualTo(TimeSpan.FromDays(1)));
            Assert.That(UpstreamRetryAfter.FromRunError("Rate limit is exceeded. Try again in 99999 seconds."), Is.EqualTo(TimeSpan.FromDays(1)));
            Assert.That(UpstreamRetryAfter.FromRunError("Rate limit is exceeded. Try again in 22 seconds."), Is.EqualTo(TimeSpan.FromSeconds(22)));
        });
    }

    [Test]
    public void AWaitThatIsNotPositiveNamesNone()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Read(("retry-after", "0")), Is.Null);
            Assert.That(Read(("retry-after-ms", "-5")), Is.Null);
            Assert.That(Read(("retry-after", Now.AddSeconds(-5).ToString("r", System.Globalization.CultureInfo.InvariantCulture))), Is.Null);
            Assert.That(Read(("retry-after", "soon")), Is.Null);
            Assert.That(Read(), Is.Null);
        });
    }

    [TestCase(401, UpstreamFailure.Authentication)]
    [TestCase(403, UpstreamFailure.Authentication)]
    [TestCase(404, UpstreamFailure.NotFound)]
    [TestCase(408, UpstreamFailure.Timeout)]
    [TestCase(429, UpstreamFailure.Throttled)]
    [TestCase(400, UpstreamFailure.BadRequest)]
    [TestCase(409, UpstreamFailure.BadRequest)]
    [TestCase(413, UpstreamFailure.BadRequest)]
    [TestCase(422, UpstreamFailure.BadRequest)]
    [TestCase(500, UpstreamFailure.Unavailable)]
    [TestCase(501, UpstreamFailure.Unavailable)]
    [TestCase(504, UpstreamFailure.Timeout)]
    [TestCase(507, UpstreamFailure.Unavailable)]
    [TestCase(302, UpstreamFailure.BadResponse)]
    [TestCase(418, UpstreamFailure.BadResponse)]
    public void EachStatusMapsToOneFailureForEveryUpstream(int status, UpstreamFailure expected)
    {
        var openAI = UpstreamStatusMap.ToException("Azure OpenAI", status, null, null, "deployment 'x'");
        var agents = UpstreamStatusMap.ToException("The Agent Service", status, null, null, "thread");
        Assert.Multiple(() =>
        {
            Assert.That(openAI.Failure, Is.EqualTo(expected));
            Assert.That(agents.Failure, Is.EqualTo(expected));
            Assert.That(agents.UpstreamStatus, Is.EqualTo(status));
        });
    }

    [Test]
    public void TheRetryAfterIsKeptOnlyForFailuresWorthRetryingLater()
    {
        var wait = TimeSpan.FromSeconds(7);
        Assert.Multiple(() =>
        {
            Assert.That(UpstreamStatusMap.ToException("X", 429, null, wait, "y").RetryAfter, Is.EqualTo(wait));
            Assert.That(UpstreamStatusMap.ToException("X", 503, null, wait, "y").RetryAfter, Is.EqualTo(wait));
            Assert.That(UpstreamStatusMap.ToException("X", 408, null, wait, "y").RetryAfter, Is.EqualTo(wait));
            Assert.That(UpstreamStatusMap.ToException("X", 401, null, wait, "y").RetryAfter, Is.Null);
            Assert.That(UpstreamStatusMap.ToException("X", 400, null, wait, "y").RetryAfter, Is.Null);
            Assert.That(UpstreamStatusMap.ToException("X", 429, null, wait, "y").Message, Does.Contain("retry after 7 s"));
        });
    }

    [Test]
    public void OnlyAPlainErrorCodeIsRepeated()
    {
        Assert.Multiple(() =>
        {
            Assert.That(UpstreamStatusMap.ToException("X", 400, "invalid_prompt", null, "y").Message, Does.Contain("(code: invalid_prompt)"));
            Assert.That(UpstreamStatusMap.ToException("X", 400, "sk-123 secret text", null, "y").Message, Does.Not.Contain("sk-123"));
            Assert.That(UpstreamStatusMap.IsPlainCode(new string('a', 65)), Is.False);
            Assert.That(UpstreamStatusMap.IsPlainCode("invalid_prompt\n"), Is.False, "no trailing newline");
            Assert.That(UpstreamStatusMap.ErrorCode(BinaryData.FromString("""{"error":{"code":"rate_limit_exceeded"}}""")), Is.EqualTo("rate_limit_exceeded"));
            Assert.That(UpstreamStatusMap.ErrorCode(BinaryData.FromString("""{"error":{"code":"has spaces"}}""")), Is.Null);
            Assert.That(UpstreamStatusMap.ErrorCode(BinaryData.FromString("<html>")), Is.Null);
            Assert.That(UpstreamStatusMap.ErrorCode(BinaryData.FromString("""{"error":{"innererror":{"code":"ResponsibleAIPolicyViolation"}}}"""), inner: true),
                Is.EqualTo("ResponsibleAIPolicyViolation"));
        });
    }
}
