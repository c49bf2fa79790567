// SPDX-License-Identifier: MIT
// The port checks the SDK version; our HAL offers the API level of NONOS SDK 2.2.1.
#define ESP_SDK_VERSION 020201
