using System.ClientModel.Primitives;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Infrastructure.Upstream;

/// <summary>
/// The one map from an upstream's error status to an <see cref="UpstreamFailure"/>, for Azure OpenAI and the Agent
/// Service alike (docs/resilience.md, "What the client gets"): 401/403 credentials, 404 not found, 408 and 504 (the
/// upstream's own gateway gave up waiting) timeout, 429 throttled, 400 (content filter apart)/409/413/422 the request
/// itself, any other 5xx unavailable, anything else an unexpected answer. Messages are our own wording plus, at most, the
/// upstream's error code when it is a plain identifier (<see cref="IsPlainCode"/>): never keys, tokens or bodies.
/// </summary>
public static partial class UpstreamStatusMap
{
    /// <summary>The failure an error status means.</summary>
    public static UpstreamFailure FailureOf(int status, bool contentFiltered = false) => status switch
    {
        401 or 403 => UpstreamFailure.Authentication,
        404 => UpstreamFailure.NotFound,
        408 or 504 => UpstreamFailure.Timeout,
        429 => UpstreamFailure.Throttled,
        400 when contentFiltered => UpstreamFailure.ContentFiltered,
        400 or 409 or 413 or 422 => UpstreamFailure.BadRequest,
        >= 500 and <= 599 => UpstreamFailure.Unavailable,
        _ => UpstreamFailure.BadResponse,
    };

    /// <summary>The exception for an error answer.</summary>
    /// <param name="upstream">Who answered, as a sentence starts: "Azure OpenAI", "The Agent Service".</param>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">The upstream's error code (repeated only when plain).</param>
    /// <param name="retryAfter">The wait the upstream asked for (<see cref="UpstreamRetryAfter"/>); kept for the
    /// failures worth retrying later (throttled, unavailable, timeout).</param>
    /// <param name="missing">What a 404 means was not found, e.g. "deployment 'gpt-4o-mini'", "thread".</param>
    /// <param name="contentFiltered">Whether a 400 is the content filter's (an Azure OpenAI body tells).</param>
    /// <param name="innerException">The SDK's exception, when there is one.</param>
    public static UpstreamException ToException(string upstream, int status, string? code, TimeSpan? retryAfter, string missing,
        bool contentFiltered = false, Exception? innerException = null)
    {
        var failure = FailureOf(status, contentFiltered);
        var withCode = IsPlainCode(code) ? $" (code: {code})" : string.Empty;
        var wait = failure is UpstreamFailure.Throttled or UpstreamFailure.Unavailable or UpstreamFailure.Timeout ? retryAfter : null;
        var message = failure switch
        {
            UpstreamFailure.Authentication => $"{upstream} refused our credentials ({status}){withCode}.",
            UpstreamFailure.NotFound => $"{upstream}: {missing} not found{withCode}.",
            UpstreamFailure.Timeout => $"{upstream} timed out answering the request ({status}).",
            UpstreamFailure.Throttled =>
                $"{upstream} is throttling requests{(wait is { } w ? $"; retry after {Math.Ceiling(w.TotalSeconds):0} s" : string.Empty)}{withCode}.",
            UpstreamFailure.ContentFiltered => $"{upstream}'s content filter blocked the prompt (code: content_filter).",
            UpstreamFailure.BadRequest => $"{upstream} rejected the request as invalid ({status}){withCode}.",
            UpstreamFailure.Unavailable => $"{upstream} is unavailable ({status}){withCode}.",
            _ => $"{upstream} answered with unexpected status {status}{withCode}.",
        };
        return new UpstreamException(failure, message, wait, status, innerException);
    }

    /// <summary>The <c>error.code</c> of an Azure error body (<c>error.innererror.code</c> with
    /// <paramref name="inner"/>), when it is a plain identifier; null otherwise.</summary>
    public static string? ErrorCode(BinaryData? content, bool inner = false)
    {
        try
        {
            if (content is null || content.ToMemory().IsEmpty)
            {
                return null;
            }

            using var document = JsonDocument.Parse(content);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (inner && (!error.TryGetProperty("innererror", out error) || error.ValueKind != JsonValueKind.Object))
            {
                return null;
            }

            return error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                   && code.GetString() is { } text && IsPlainCode(text)
                ? text
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The error code of an Azure OpenAI answer (see <see cref="ErrorCode(BinaryData?, bool)"/>).</summary>
    public static string? ErrorCode(PipelineResponse? response, bool inner = false) => ErrorCode(response?.Content, inner);

    /// <summary>Whether an upstream error code is a plain identifier, the only kind ever repeated to the caller
    /// (anything else could be free text).</summary>
    public static bool IsPlainCode([NotNullWhen(true)] string? code) => code is not null && PlainCode().IsMatch(code);

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}\z", RegexOptions.CultureInvariant)] // \z: "$" would let a trailing newline through
    private static partial Regex PlainCode();
}
