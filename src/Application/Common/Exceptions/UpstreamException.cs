namespace Wrapper.Application.Common.Exceptions;

/// <summary>
/// A typed upstream failure. Adapters translate every SDK/HTTP error into this, so the API maps failures to
/// honest statuses in one place. <see cref="Exception.Message"/> is safe to show to clients: it never contains
/// keys, tokens or raw upstream bodies.
/// </summary>
public sealed class UpstreamException : Exception
{
    public UpstreamException(UpstreamFailure failure, string message, TimeSpan? retryAfter = null, int? upstreamStatus = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        RetryAfter = retryAfter;
        UpstreamStatus = upstreamStatus;
    }

    /// <summary>What went wrong.</summary>
    public UpstreamFailure Failure { get; }

    /// <summary>How long the upstream asked us to wait, when it said (429, sometimes 503).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The HTTP status the upstream answered with, when there was one.</summary>
    public int? UpstreamStatus { get; }
}
