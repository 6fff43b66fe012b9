using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using Wrapper.Api.Contracts;
using Wrapper.Api.Errors;
using Wrapper.Api.Mcp;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.UnitTests.Api.Errors;

/// <summary>The one builder of error answers (<see cref="ApiProblem"/>) and the surfaces that format what it builds: its
/// rules hold whoever calls it (exception handler, SSE error event, MCP tool errors, key check, body limit, limiters).</summary>
public sealed class ApiProblemTests
{
    private const string RefusalHeader = "X-Wrapper-Refusal";

    [TestCase(UpstreamFailure.Throttled, 429, "rate_limited")]
    [TestCase(UpstreamFailure.Unavailable, 503, "upstream_unavailable")]
    public void ThrottledOrUnavailableUpstreamShouldCarryRetryAfterRoundedUp(UpstreamFailure failure, int status, string code)
    {
        var problem = ApiProblem.Upstream(new UpstreamException(failure, "Azure OpenAI said so (429).", TimeSpan.FromSeconds(6.2)));

        Assert.Multiple(() =>
        {
            Assert.That(problem.Status, Is.EqualTo(status));
            Assert.That(problem.Code, Is.EqualTo(code));
            Assert.That(problem.Details.Extensions["code"], Is.EqualTo(code));
            Assert.That(problem.RetryAfterSeconds, Is.EqualTo(7));
            Assert.That(problem.Details.Extensions["retryAfterSeconds"], Is.EqualTo(7L));
            Assert.That(problem.Details.Detail, Is.EqualTo("Azure OpenAI said so (429)."));
            Assert.That(problem.IsClientRefusal, Is.False, "an upstream's failure is no refusal of the client");
        });
    }

    [TestCase(UpstreamFailure.Timeout)]
    [TestCase(UpstreamFailure.Authentication)]
    [TestCase(UpstreamFailure.BadRequest)]
    [TestCase(UpstreamFailure.NotFound)]
    [TestCase(UpstreamFailure.BadResponse)]
    public void OtherUpstreamFailuresShouldNeverCarryRetryAfter(UpstreamFailure failure)
    {
        var upstream = new UpstreamException(failure, "failed", TimeSpan.FromSeconds(3));
        var problem = ApiProblem.Upstream(upstream);
        var response = new DefaultHttpContext().Response;
        problem.ApplyTo(response);

        Assert.Multiple(() =>
        {
            Assert.That(problem.RetryAfterSeconds, Is.Null);
            Assert.That(problem.Details.Extensions.ContainsKey("retryAfterSeconds"), Is.False);
            Assert.That(response.Headers.RetryAfter.Count, Is.Zero);
            Assert.That(ApiProblem.UpstreamRetryAfterSeconds(upstream), Is.Null);
        });
    }

    [Test]
    public void UpstreamFailureWithoutAWaitShouldHaveNoRetryAfter() =>
        Assert.That(ApiProblem.Upstream(new UpstreamException(UpstreamFailure.Throttled, "busy")).RetryAfterSeconds, Is.Null);

    [Test]
    public void ClientRefusalShouldBeMarkedAndCarryItsWait()
    {
        var response = new DefaultHttpContext().Response;
        var problem = ApiProblem.ClientRefusal(StatusCodes.Status429TooManyRequests, ProblemCodes.ClientRateLimited, "Too many requests",
            "slow down", TimeSpan.FromMilliseconds(1500));
        problem.ApplyTo(response);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(429));
            Assert.That(response.Headers[RefusalHeader].ToString(), Is.EqualTo("client"));
            Assert.That(response.Headers.RetryAfter.ToString(), Is.EqualTo("2"));
            Assert.That(problem.Details.Extensions["retryAfterSeconds"], Is.EqualTo(2L));
            Assert.That(problem.Details.Type, Is.EqualTo(ProblemTypes.TooManyRequests));
        });
    }

    [TestCase(401, ProblemTypes.Unauthorized)]
    [TestCase(403, ProblemTypes.Forbidden)]
    [TestCase(413, ProblemTypes.ContentTooLarge)]
    public void ClientRefusalWithoutAWaitShouldHaveNoRetryAfter(int status, string type)
    {
        var response = new DefaultHttpContext().Response;
        var problem = ApiProblem.ClientRefusal(status, "refused", "Refused", "no");
        problem.ApplyTo(response);

        Assert.Multiple(() =>
        {
            Assert.That(response.Headers[RefusalHeader].ToString(), Is.EqualTo("client"));
            Assert.That(response.Headers.RetryAfter.Count, Is.Zero);
            Assert.That(problem.Details.Type, Is.EqualTo(type));
        });
    }

    [Test]
    public void ServiceSideProblemShouldNotBeMarkedAsTheClients()
    {
        var response = new DefaultHttpContext().Response;
        ApiProblem.InternalError().ApplyTo(response);
        ApiProblem.Upstream(new UpstreamException(UpstreamFailure.Unavailable, "down")).ApplyTo(response);

        Assert.That(response.Headers.ContainsKey(RefusalHeader), Is.False);
    }

    [Test]
    public void OversizedOrMalformedRequestShouldBeAClientRefusal()
    {
        var tooLarge = ApiProblem.FromException(new BadHttpRequestException("big", StatusCodes.Status413PayloadTooLarge))!;
        var malformed = ApiProblem.FromException(new BadHttpRequestException("bad"))!;

        Assert.Multiple(() =>
        {
            Assert.That((tooLarge.Status, tooLarge.Code, tooLarge.IsClientRefusal), Is.EqualTo((413, ProblemCodes.RequestTooLarge, true)));
            Assert.That((malformed.Status, malformed.Code, malformed.IsClientRefusal), Is.EqualTo((400, ProblemCodes.BadHttpRequest, true)));
            Assert.That(ApiProblem.FromException(new InvalidOperationException("boom")), Is.Null, "unknown exceptions are the caller's 500");
        });
    }

    [TestCase(-1.0, null)]
    [TestCase(0.0, 0L)]
    [TestCase(0.001, 1L)]
    [TestCase(5.0, 5L)]
    public void RetryAfterShouldBeWholeSecondsRoundedUp(double seconds, long? expected) =>
        Assert.That(ApiProblem.Seconds(TimeSpan.FromSeconds(seconds)), Is.EqualTo(expected));

    [Test]
    public void HealthErrorsShouldFollowTheSameRetryAfterRule()
    {
        var (timeoutStatus, _, timeoutRetry) = HealthErrorsAttribute.Map(new UpstreamException(UpstreamFailure.Timeout, "slow", TimeSpan.FromSeconds(4)));
        var (throttledStatus, _, throttledRetry) = HealthErrorsAttribute.Map(new UpstreamException(UpstreamFailure.Throttled, "busy", TimeSpan.FromSeconds(3.5)));

        Assert.Multiple(() =>
        {
            Assert.That((timeoutStatus, timeoutRetry), Is.EqualTo((503, (string?)null)));
            Assert.That((throttledStatus, throttledRetry), Is.EqualTo((429, "4")));
        });
    }

    [Test]
    public void McpToolErrorShouldCarryTheSameCodeTextAndWait()
    {
        var result = McpToolErrors.Error(ApiProblem.Upstream(new UpstreamException(UpstreamFailure.Throttled, "Azure OpenAI is throttling (429).", TimeSpan.FromSeconds(5))));

        Assert.Multiple(() =>
        {
            Assert.That(result.IsError, Is.True);
            Assert.That(((TextContentBlock)result.Content[0]).Text,
                Is.EqualTo("rate_limited (429): The model service is throttling requests: Azure OpenAI is throttling (429). Retry after 5 s."));
        });
    }

    [Test]
    public void McpToolErrorOfInvalidInputShouldListTheFields()
    {
        var result = McpToolErrors.Error(ApiProblem.Validation(new Dictionary<string, string[]>
        {
            ["messages[0].role"] = ["'role' must be one of: system, user, assistant."],
            ["query"] = ["'query' must not be empty."],
        }));

        Assert.That(((TextContentBlock)result.Content[0]).Text, Is.EqualTo(
            "validation_failed (400): One or more validation errors occurred. messages[0].role: 'role' must be one of: system, user, assistant.; query: 'query' must not be empty."));
    }

    [Test]
    public void QueryStringFieldsShouldWinOverTheBodysOneByOne()
    {
        var asked = new AgentQuestionQuery { ThreadId = "thread_q" }
            .Over(new AgentQuestionRequest { Query = "from body", ThreadId = "thread_b", KeepThread = false });

        Assert.That((asked.Query, asked.ThreadId, asked.KeepThread), Is.EqualTo(("from body", "thread_q", (bool?)false)));
    }
}
