namespace Wrapper.Application.Common.Exceptions;

/// <summary>
/// A <c>thread_id</c> names no conversation thread of the caller: none exists (never did, or it was deleted), or it
/// belongs to another client. Both read the same (404 <c>thread_not_found</c>), so a caller cannot tell another
/// client's thread from a thread that does not exist. <see cref="Exception.Message"/> is safe to show.
/// </summary>
public sealed class ThreadNotFoundException : Exception
{
    public ThreadNotFoundException(string threadId, Exception? innerException = null)
        : base("'thread_id' names no conversation thread of this client (it may have ended or been deleted).", innerException)
    {
        ThreadId = threadId;
    }

    /// <summary>The thread id the caller gave.</summary>
    public string ThreadId { get; }
}
