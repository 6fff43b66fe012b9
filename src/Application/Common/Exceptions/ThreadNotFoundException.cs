namespace Wrapper.Application.Common.Exceptions;

/// <summary>
/// A <c>thread_id</c> (classic agents) or <c>conversation_id</c> (new agents) names no conversation of the caller: none
/// exists (never did, or it was deleted), or it belongs to another client. Both read the same (404
/// <c>thread_not_found</c> or <c>conversation_not_found</c>), so a caller cannot tell another client's conversation from
/// one that does not exist. <see cref="Exception.Message"/> is safe to show.
/// </summary>
public sealed class ThreadNotFoundException : Exception
{
    /// <summary>The request field of a classic thread id.</summary>
    public const string ThreadField = "thread_id";

    /// <summary>The request field of a conversation id (new protocol).</summary>
    public const string ConversationField = "conversation_id";

    public ThreadNotFoundException(string threadId, Exception? innerException = null)
        : this(threadId, ThreadField, innerException)
    {
    }

    private ThreadNotFoundException(string id, string field, Exception? innerException)
        : base(field == ConversationField
            ? "'conversation_id' names no conversation of this client (it may have ended or been deleted)."
            : "'thread_id' names no conversation thread of this client (it may have ended or been deleted).", innerException)
    {
        ThreadId = id;
        Field = field;
    }

    /// <summary>A conversation (new protocol) that is not the caller's.</summary>
    public static ThreadNotFoundException ForConversation(string conversationId, Exception? innerException = null) =>
        new(conversationId, ConversationField, innerException);

    /// <summary>The thread or conversation id the caller gave.</summary>
    public string ThreadId { get; }

    /// <summary>The request field that carried it: <see cref="ThreadField"/> or <see cref="ConversationField"/>.</summary>
    public string Field { get; }

    /// <summary>True when the id is a conversation's (new protocol).</summary>
    public bool IsConversation => Field == ConversationField;
}
