using System.Security.Cryptography;
using System.Text;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>
/// Who owns a conversation thread, and the rule that only its owner continues or ends it. A new thread records the
/// <see cref="OwnerOf">owner tag</see> of the client that made it; a question on an existing thread (continuing it, or
/// ending it with <c>keep_thread</c> false) first reads the thread's tag and answers <see cref="ThreadNotFoundException"/>
/// unless it is the caller's: another client's thread and a thread that does not exist look the same.
/// </summary>
public static class ThreadOwnership
{
    private const string Purpose = "wrapper-thread-owner/v1\n";

    /// <summary>The owner tag of a client identity: the lowercase hex SHA-256 of a fixed purpose prefix and the identity
    /// (64 characters). The client's name or key never reaches the Agent Service; the same identity gives the same tag on
    /// every replica and after restarts.</summary>
    public static string OwnerOf(string clientIdentity)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientIdentity);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Purpose + clientIdentity)));
    }

    /// <summary>Asks the agent as the owner <see cref="AgentQuestion.Owner"/>: a question on an existing thread or
    /// conversation goes ahead only when its recorded owner is that owner.</summary>
    /// <exception cref="ThreadNotFoundException">The thread or conversation does not exist, or another client owns it.</exception>
    public static async Task<AgentAnswer> AskAsOwnerAsync(this IAgentGateway agents, string agentName, AgentQuestion question,
        CancellationToken cancellationToken)
    {
        await agents.EnsureOwnedAsync(question, cancellationToken).ConfigureAwait(false);
        return await agents.AskAsync(agentName, question, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams the agent's answer as the owner <see cref="AgentQuestion.Owner"/>, under the same rule as
    /// <see cref="AskAsOwnerAsync"/>. The ownership check runs before the stream is returned, so a caller that is not the
    /// owner gets <see cref="ThreadNotFoundException"/> before anything is written.</summary>
    public static async Task<IAsyncEnumerable<AgentStreamUpdate>> StreamAsOwnerAsync(this IAgentGateway agents, string agentName,
        AgentQuestion question, CancellationToken cancellationToken)
    {
        await agents.EnsureOwnedAsync(question, cancellationToken).ConfigureAwait(false);
        return agents.StreamAsync(agentName, question, cancellationToken);
    }

    /// <summary>Throws <see cref="ThreadNotFoundException"/> unless the question's thread or conversation (when it names
    /// one) records <see cref="AgentQuestion.Owner"/> as its owner.</summary>
    public static async Task EnsureOwnedAsync(this IAgentGateway agents, AgentQuestion question, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (question.Owner is not { } owner)
        {
            throw new ArgumentException("The question names no owner.", nameof(question));
        }

        if (question.ThreadId is { } threadId)
        {
            var recorded = await agents.GetThreadOwnerAsync(threadId, cancellationToken).ConfigureAwait(false);
            if (!IsSameOwner(recorded, owner))
            {
                throw new ThreadNotFoundException(threadId);
            }
        }

        if (question.ConversationId is { } conversationId)
        {
            var recorded = await agents.GetConversationOwnerAsync(conversationId, cancellationToken).ConfigureAwait(false);
            if (!IsSameOwner(recorded, owner))
            {
                throw ThreadNotFoundException.ForConversation(conversationId);
            }
        }
    }

    private static bool IsSameOwner(string? recorded, string owner) =>
        recorded is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(recorded), Encoding.UTF8.GetBytes(owner));
}
