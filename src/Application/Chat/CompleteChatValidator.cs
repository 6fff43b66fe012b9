using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

public sealed class CompleteChatValidator : ConversationValidator<CompleteChat>
{
    public CompleteChatValidator(IOptions<ChatOptions> options)
        : base(options)
    {
    }
}
