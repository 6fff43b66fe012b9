using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Wrapper.Application.Common.Exceptions;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.Api.Errors;

/// <summary>
/// The one builder of this service's RFC 9457 error answers, used wherever a request is refused or fails: the exception
/// handler, the SSE <c>error</c> event, the MCP tool errors, the key check, the body limit and the rate limiter. A new
/// refusal (another limiter's <c>OnRejected</c>, a middleware, an authentication handler, an <c>IExceptionHandler</c>)
/// builds one with <see cref="ClientRefusal"/> or <see cref="Create"/> and calls <see cref="WriteAsync"/>.
/// These rules are written here and nowhere else:
/// <list type="bullet">
/// <item>an upstream failure's status, <c>code</c> and title come from <see cref="UpstreamProblem.For"/>, and it carries
/// Retry-After only when it is Throttled or Unavailable (<see cref="UpstreamRetryAfterSeconds"/>);</item>
/// <item>Retry-After is whole seconds rounded up (<see cref="Seconds"/>), sent both as the header and as the
/// <c>retryAfterSeconds</c> extension;</item>
/// <item>a refusal the client caused carries <c>X-Wrapper-Refusal: client</c> (<see cref="WrapperHeaders.Refusal"/>), so
/// that no gateway takes it for a sick instance.</item>
/// </list>
/// </summary>
public sealed class ApiProblem
{
    private ApiProblem(ProblemDetails details, string code, long? retryAfterSeconds, bool clientRefusal)
    {
        details.Extensions["code"] = code;
        if (retryAfterSeconds is { } seconds)
        {
            details.Extensions["retryAfterSeconds"] = seconds;
        }

        Details = details;
        Code = code;
        RetryAfterSeconds = retryAfterSeconds;
        IsClientRefusal = clientRefusal;
    }

    /// <summary>The body (<c>code</c> and, when known, <c>retryAfterSeconds</c> included).</summary>
    public ProblemDetails Details { get; }

    /// <summary>The HTTP status.</summary>
    public int Status => Details.Status!.Value;

    /// <summary>The machine-readable <c>code</c> extension (<see cref="ProblemCodes"/>).</summary>
    public string Code { get; }

    /// <summary>The Retry-After header's value in seconds; null when none is sent.</summary>
    public long? RetryAfterSeconds { get; }

    /// <summary>True when the client caused the refusal (<c>X-Wrapper-Refusal: client</c>).</summary>
    public bool IsClientRefusal { get; }

    /// <summary>A problem the service or its upstream is answerable for (no refusal mark, no Retry-After).</summary>
    public static ApiProblem Create(int status, string code, string title, string detail) =>
        new(Body(status, title, detail), code, null, clientRefusal: false);

    /// <summary>A refusal the client caused (its credentials, its rate, its quota, its request's size): marked
    /// <c>X-Wrapper-Refusal: client</c>, with Retry-After when <paramref name="retryAfter"/> is given.</summary>
    public static ApiProblem ClientRefusal(int status, string code, string title, string detail, TimeSpan? retryAfter = null) =>
        new(Body(status, title, detail), code, Seconds(retryAfter), clientRefusal: true);

    /// <summary>An upstream failure, as every endpoint except <c>GET /health</c> answers it.</summary>
    public static ApiProblem Upstream(UpstreamException upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var mapping = UpstreamProblem.For(upstream.Failure);
        return new(Body(mapping.Status, mapping.Title, upstream.Message), mapping.Code,
            UpstreamRetryAfterSeconds(upstream), clientRefusal: false);
    }

    /// <summary>400 <c>validation_failed</c> with <c>errors</c> by field (<see cref="ValidationProblems.Create"/>).</summary>
    public static ApiProblem Validation(IReadOnlyDictionary<string, string[]> errors)
    {
        var problem = ValidationProblems.Create(errors);
        return new(problem, ProblemCodes.ValidationFailed, null, clientRefusal: false);
    }

    /// <summary>404 <c>thread_not_found</c>, or <c>conversation_not_found</c> for a conversation of the new protocol.</summary>
    public static ApiProblem ThreadNotFound(ThreadNotFoundException threadNotFound) =>
        threadNotFound.IsConversation
            ? Create(StatusCodes.Status404NotFound, ProblemCodes.ConversationNotFound, "No such conversation", threadNotFound.Message)
            : Create(StatusCodes.Status404NotFound, ProblemCodes.ThreadNotFound, "No such conversation thread", threadNotFound.Message);

    /// <summary>A client over its quota (<see cref="ClientQuotaExceededException"/>): over a per-minute limit, 429
    /// <c>client_rate_limited</c> or <c>client_token_limit</c>; its token quota used up, 403 <c>client_quota_exceeded</c>
    /// with <c>resetsAt</c> (as APIM's <c>llm-token-limit</c> answers). Both with Retry-After (at least 1 s), both the
    /// client's doing.</summary>
    public static ApiProblem Quota(ClientQuotaExceededException quota)
    {
        ArgumentNullException.ThrowIfNull(quota);
        var exhausted = quota.Limit == Wrapper.Application.Quotas.QuotaLimit.TokenQuota;
        var problem = ClientRefusal(
            exhausted ? StatusCodes.Status403Forbidden : StatusCodes.Status429TooManyRequests,
            Wrapper.Infrastructure.Telemetry.QuotaCodes.For(quota.Limit),
            exhausted ? "Token quota exceeded" : "Too many requests",
            quota.Message,
            quota.RetryAfter > TimeSpan.FromSeconds(1) ? quota.RetryAfter : TimeSpan.FromSeconds(1));
        if (quota.ResetsAt is { } resetsAt)
        {
            problem.Details.Extensions["resetsAt"] = resetsAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }

        return problem;
    }

    /// <summary>404 <c>model_not_found</c> (v1 face) or <c>DeploymentNotFound</c> (Azure face): a model name this service
    /// does not serve, as OpenAI and Azure OpenAI answer it; the client's doing (it named the model), with <c>param</c>.</summary>
    public static ApiProblem ModelNotFound(Wrapper.Application.OpenAICompatible.ModelNotFoundException notFound)
    {
        ArgumentNullException.ThrowIfNull(notFound);
        var problem = ClientRefusal(StatusCodes.Status404NotFound, notFound.Code, "No such model", notFound.Message);
        if (notFound.Param is { } param)
        {
            problem.Details.Extensions["param"] = param;
        }

        return problem;
    }

    /// <summary>500 <c>internal_error</c>, never with exception text.</summary>
    public static ApiProblem InternalError(string detail = "The service failed to process the request. Quote the correlation id when reporting it.") =>
        Create(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError, "An unexpected error occurred", detail);

    /// <summary>The answer to an exception this service knows; null for any other (which is a 500, logged by the caller).</summary>
    public static ApiProblem? FromException(Exception exception) => exception switch
    {
        ValidationException validation => Validation(validation.Errors),
        UpstreamException upstream => Upstream(upstream),
        ThreadNotFoundException threadNotFound => ThreadNotFound(threadNotFound),
        ClientQuotaExceededException quota => Quota(quota),
        Wrapper.Application.OpenAICompatible.ModelNotFoundException model => ModelNotFound(model),
        BadHttpRequestException badRequest => BadHttpRequest(badRequest),
        _ => null,
    };

    /// <summary>A malformed or oversized HTTP request: its 4xx, a client refusal.</summary>
    private static ApiProblem BadHttpRequest(BadHttpRequestException badRequest)
    {
        var status = badRequest.StatusCode is >= 400 and < 500 ? badRequest.StatusCode : StatusCodes.Status400BadRequest;
        return status == StatusCodes.Status413PayloadTooLarge
            ? ClientRefusal(status, ProblemCodes.RequestTooLarge, "The request body is too large", "The request body exceeds the size this service accepts.")
            : ClientRefusal(status, ProblemCodes.BadHttpRequest, "The request could not be read", "The request was malformed or incomplete.");
    }

    /// <summary>The one home of "Retry-After only for Throttled or Unavailable": the upstream's wait in whole seconds
    /// for those two failures, null for every other one or when the upstream named none.</summary>
    public static long? UpstreamRetryAfterSeconds(UpstreamException upstream) =>
        upstream.Failure is UpstreamFailure.Throttled or UpstreamFailure.Unavailable ? Seconds(upstream.RetryAfter) : null;

    /// <summary>The one home of Retry-After's rounding: whole seconds, rounded up; null for no or a negative wait.</summary>
    public static long? Seconds(TimeSpan? wait) =>
        wait is { } value && value >= TimeSpan.Zero ? (long)Math.Ceiling(value.TotalSeconds) : null;

    /// <summary>Sets the status, Retry-After and the refusal mark on a response that has not started.</summary>
    public void ApplyTo(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = Status;
        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        // The one home of the client-refusal mark: only refusals built by ClientRefusal carry it.
        if (IsClientRefusal)
        {
            response.Headers[WrapperHeaders.Refusal] = WrapperHeaders.ClientRefusal;
        }
    }

    /// <summary>Writes the answer through the registered <see cref="IProblemDetailsService"/> (which adds
    /// <c>instance</c>, <c>correlationId</c> and <c>traceId</c>); does nothing once the response has started.</summary>
    public async Task WriteAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return;
        }

        ApplyTo(context.Response);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = Details });
    }

    /// <summary>As <see cref="WriteAsync"/>, for an <c>IExceptionHandler</c>: false when no writer accepts the request.</summary>
    public ValueTask<bool> TryWriteAsync(HttpContext context, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return ValueTask.FromResult(false);
        }

        ApplyTo(context.Response);
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = Details, Exception = exception });
    }

    private static ProblemDetails Body(int status, string title, string detail) => new()
    {
        Status = status,
        Type = ProblemTypes.ForStatus(status),
        Title = title,
        Detail = detail,
    };
}
